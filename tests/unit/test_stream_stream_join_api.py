"""The stream-stream join API: JoinWindows and StreamJoined (Java's validation and errors), the
argument checks of ``KStream.join / left_join / outer_join``, node and store names, changelog
topic configs, repartitioning and co-partitioning, and the dispatch to stream-table joins."""

from __future__ import annotations

import sys
import types
from datetime import timedelta
from typing import Any

import pytest

from kstreams import (
    JoinWindows,
    Serdes,
    StreamJoined,
    StreamsBuilder,
    StreamsError,
    TopologyError,
)
from kstreams.runtime.topics import changelog_topics, internal_topic_partitions
from kstreams.state import Stores

W = JoinWindows.of_time_difference_with_no_grace(100)


def pair(a: Any, b: Any) -> str:
    return f"{a}|{b}"


# -- JoinWindows ------------------------------------------------------------------------------


def test_join_windows_bounds_size_and_grace() -> None:
    w = JoinWindows.of_time_difference_and_grace(timedelta(seconds=2), timedelta(milliseconds=500))
    assert (w.before_ms, w.after_ms, w.size(), w.grace_ms()) == (2000, 2000, 4000, 500)
    assert JoinWindows.of_time_difference_with_no_grace(10).grace_ms() == 0
    asym = w.before(timedelta(0)).after(300)
    assert (asym.before_ms, asym.after_ms, asym.size(), asym.grace_ms()) == (0, 300, 300, 500)
    assert JoinWindows.of_time_difference_with_no_grace(5).after(-5).size() == 0
    assert JoinWindows.of_time_difference_with_no_grace(7) == JoinWindows(7, 7, 0)
    assert hash(JoinWindows(1, 2, 3)) == hash(JoinWindows(1, 2, 3))
    assert repr(JoinWindows(1, 2, 3)) == "JoinWindows(before_ms=1, after_ms=2, grace_ms=3)"


def test_join_windows_validation_is_javas() -> None:
    with pytest.raises(
        ValueError, match=r"Window interval \(ie, beforeMs\+afterMs\) must not be negative"
    ):
        JoinWindows.of_time_difference_with_no_grace(-1)
    with pytest.raises(ValueError, match="must not be negative"):
        JoinWindows.of_time_difference_with_no_grace(5).before(-6)
    with pytest.raises(ValueError, match="Grace period must not be negative"):
        JoinWindows.of_time_difference_and_grace(5, -1)
    with pytest.raises(TypeError, match='parameter "timeDifference"'):
        JoinWindows.of_time_difference_with_no_grace("5s")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match='parameter "afterWindowEnd"'):
        JoinWindows.of_time_difference_and_grace(5, 1.5)  # type: ignore[arg-type]


# -- StreamJoined -------------------------------------------------------------------------------


def test_stream_joined_setters_return_new_instances() -> None:
    base = StreamJoined.with_(Serdes.String(), Serdes.Long(), Serdes.Integer())
    named = base.with_name("j").with_store_name("s").with_logging_enabled({"retention.ms": "9"})
    assert base.name is None and base.store_name is None
    assert (named.name, named.store_name, named.log_config) == ("j", "s", {"retention.ms": "9"})
    assert named.with_logging_disabled().logging_enabled is False
    assert StreamJoined.as_("x").store_name == "x"
    assert isinstance(
        base.with_other_value_serde(Serdes.String()).other_value_serde, type(Serdes.String())
    )
    with pytest.raises(ValueError):
        StreamJoined().with_name("")
    with pytest.raises(TypeError, match="window store supplier"):
        StreamJoined().with_this_store_supplier(Stores.persistent_key_value_store("kv"))  # type: ignore[arg-type]


# -- KStream.join arguments -------------------------------------------------------------------


def test_bad_join_arguments_are_type_errors() -> None:
    b = StreamsBuilder()
    s1, s2 = b.stream("a"), b.stream("b")
    with pytest.raises(TypeError, match="needs JoinWindows"):
        s1.join(s2, pair)
    with pytest.raises(TypeError, match="needs JoinWindows"):
        s1.left_join(s2, pair, 100)
    with pytest.raises(TypeError, match="other must be a KStream"):
        s1.join("b", pair, W)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="other must be a KStream"):
        s1.outer_join(42, pair, W)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="no stream-table outer join"):
        s1.outer_join(b.table("t"), pair, W)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="joiner must be callable"):
        s1.join(s2, "nope", W)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"joiner must take \(left_value, right_value\)"):
        s1.join(s2, lambda v: v, W)
    with pytest.raises(TypeError, match="must be a StreamJoined"):
        s1.join(s2, pair, W, {"name": "x"})


def test_table_joins_go_to_the_stream_table_join(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []
    fake = types.ModuleType("kstreams.dsl.stream_table_join")

    def join_table(
        stream: Any, table: Any, joiner: Any, joined: Any, *, left: bool, named: Any
    ) -> str:
        calls.append((stream, table, joiner, joined, left, named))
        return "joined"

    fake.join_table = join_table  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kstreams.dsl.stream_table_join", fake)
    b = StreamsBuilder()
    s, t = b.stream("a"), b.table("t")
    marker = object()
    assert s.join(t, pair) == "joined"
    assert s.left_join(t, pair, marker, named="n") == "joined"
    assert s.join(t, pair, joined=marker) == "joined"
    assert [(c[3], c[4], c[5]) for c in calls] == [
        (None, False, None),
        (marker, True, "n"),
        (marker, False, None),
    ]
    with pytest.raises(TypeError, match="takes no JoinWindows"):
        s.join(t, pair, W)


# -- names, stores, describe() -------------------------------------------------------------------


def _stores(topology: Any) -> dict[str, Any]:
    return dict(topology.state_stores)


def test_generated_names_are_kafka_streams() -> None:
    b = StreamsBuilder()
    b.stream("a").outer_join(b.stream("b"), pair, W).to("out")
    t = b.build()
    names = [n for n in t.nodes if "SOURCE" not in n and "SINK" not in n]
    assert names == [
        "KSTREAM-WINDOWED-0000000002",
        "KSTREAM-WINDOWED-0000000003",
        "KSTREAM-OUTERTHIS-0000000004",
        "KSTREAM-OUTEROTHER-0000000005",
        "KSTREAM-MERGE-0000000006",
    ]
    assert sorted(_stores(t)) == [
        "KSTREAM-OUTEROTHER-0000000005-store",
        "KSTREAM-OUTERSHARED-0000000004-store",
        "KSTREAM-OUTERTHIS-0000000004-store",
    ]
    assert "KSTREAM-SINK-0000000007" in t.nodes


def test_named_join_and_store_names() -> None:
    b = StreamsBuilder()
    sj = StreamJoined.with_(Serdes.String(), Serdes.String(), Serdes.String())
    b.stream("a").left_join(b.stream("b"), pair, W, sj.with_name("j").with_store_name("s")).to("o")
    t = b.build()
    for n in (
        "j-this-windowed",
        "j-other-windowed",
        "j-this-join",
        "j-outer-other-join",
        "j-merge",
    ):
        assert n in t.nodes
    assert sorted(_stores(t)) == [
        "s-left-shared-join-store",
        "s-outer-other-join-store",
        "s-this-join-store",
    ]
    # named= is StreamJoined.with_name
    b2 = StreamsBuilder()
    b2.stream("a").join(b2.stream("b"), pair, W, named="n").to("o")
    assert "n-this-join" in b2.build().nodes


def test_store_suppliers_must_match_the_windows() -> None:
    def join(sj: StreamJoined) -> None:
        b = StreamsBuilder()
        b.stream("a").join(b.stream("b"), pair, W, sj)

    ok = Stores.in_memory_window_store("this", 200, 200, True)
    with pytest.raises(StreamsError, match="retainDuplicates=true"):
        join(
            StreamJoined().with_this_store_supplier(
                Stores.in_memory_window_store("x", 200, 200, False)
            )
        )
    with pytest.raises(StreamsError, match="Window settings mismatch"):
        join(
            StreamJoined().with_other_store_supplier(
                Stores.in_memory_window_store("x", 300, 200, True)
            )
        )
    with pytest.raises(StreamsError, match="Window settings mismatch"):
        join(
            StreamJoined().with_this_store_supplier(
                Stores.persistent_window_store("x", 200, 100, True)
            )
        )
    with pytest.raises(StreamsError, match="same name"):
        join(
            StreamJoined.with_store_suppliers(
                ok, Stores.in_memory_window_store("this", 200, 200, True)
            )
        )
    b = StreamsBuilder()
    b.stream("a").left_join(
        b.stream("b"),
        pair,
        W,
        StreamJoined.with_store_suppliers(
            ok, Stores.in_memory_window_store("other", 200, 200, True)
        ),
    ).to("o")
    assert sorted(_stores(b.build())) == ["other", "this", "this-left-shared-join-store"]


def test_changelogs_of_the_join_stores() -> None:
    b = StreamsBuilder()
    sj = StreamJoined().with_logging_enabled({"cleanup.policy": "compact", "segment.ms": "1000"})
    b.stream("a").left_join(
        b.stream("b"), pair, JoinWindows.of_time_difference_and_grace(100, 50), sj
    )
    topics = changelog_topics(b.build(), "app", {"a": 2, "b": 2})
    window = topics["app-KSTREAM-JOINTHIS-0000000004-store-changelog"]
    assert window[0] == 2
    # retain-duplicates stores: never compacted, whatever the config says (as Java)
    assert window[1]["cleanup.policy"] == "delete"
    assert window[1]["retention.ms"] == str(250 + 86_400_000)
    assert window[1]["segment.ms"] == "1000"
    shared = topics["app-KSTREAM-OUTERSHARED-0000000004-store-changelog"][1]
    assert shared["cleanup.policy"] == "compact"
    b2 = StreamsBuilder()
    b2.stream("a").outer_join(b2.stream("b"), pair, W, StreamJoined().with_logging_disabled())
    assert changelog_topics(b2.build(), "app", {"a": 1, "b": 1}) == {}


# -- repartitioning and co-partitioning --------------------------------------------------------


def test_a_key_changed_side_is_repartitioned_with_the_other_sides_count() -> None:
    b = StreamsBuilder()
    left = b.stream("a").select_key(lambda k, v: v)
    left.join(b.stream("b"), pair, W).to("out")
    t = b.build()
    assert list(t.internal_topics) == ["KSTREAM-KEY-SELECT-0000000001-repartition"]
    parts = internal_topic_partitions(t, "app", {"a": 8, "b": 3, "out": 1})
    assert parts == {"app-KSTREAM-KEY-SELECT-0000000001-repartition": 3}


def test_named_repartition_topics() -> None:
    b = StreamsBuilder()
    left = b.stream("a").select_key(lambda k, v: v)
    right = b.stream("b").map(lambda k, v: (v, k))
    left.join(right, pair, W, StreamJoined().with_name("j")).to("out")
    assert sorted(b.build().internal_topics) == ["j-left-repartition", "j-right-repartition"]


def test_joined_topics_must_be_co_partitioned() -> None:
    b = StreamsBuilder()
    b.stream("orders").join(b.stream("payments"), pair, W).to("out")
    with pytest.raises(TopologyError) as info:
        internal_topic_partitions(b.build(), "app", {"orders": 4, "payments": 6, "out": 1})
    assert "orders (4 partitions), payments (6 partitions)" in str(info.value)
    assert "co-partitioned" in str(info.value)
