"""The write buffer's one-key fetch (``BufferedSegmentedStore.fetch_key``, the joins' and session
aggregations' lookups) against its range fetch filtered to that key, and the window cache's
skipped read of a window past the store's stream time: the same answers either way.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from kstreams.serde import Serdes
from kstreams.state import StateStoreContext, Stores
from kstreams.state.caching import ThreadCache, cached_store
from kstreams.state.window_buffered import BufferedSegmentedStore
from kstreams.state.window_schema import session_key, window_key

S, L = Serdes.String(), Serdes.Long()
KEYS = [b"a", b"ab", b"b", b"c"]


class Collector:
    def send_changelog(self, *args: Any) -> None:
        pass


def context(tmp_path: Path) -> StateStoreContext:
    return StateStoreContext(
        "0_0",
        "app",
        0,
        str(tmp_path),
        changelog_topic="app-x-changelog",
        collector=Collector(),
        record_timestamp=lambda: 0,
    )


def buffer_of(store: Any) -> BufferedSegmentedStore:
    layer = store
    while not isinstance(layer, BufferedSegmentedStore):
        layer = layer.wrapped
    return layer


def window_builder(engine: str, dups: bool) -> Any:
    if engine == "memory":
        supplier = Stores.in_memory_window_store("w", 400, 10, dups)
    else:
        supplier = Stores.persistent_window_store("w", 400, 10, dups)
    return Stores.window_store_builder(supplier, S, L)


def session_builder(engine: str) -> Any:
    if engine == "memory":
        return Stores.session_store_builder(Stores.in_memory_session_store("s", 400), S, L)
    return Stores.session_store_builder(Stores.persistent_session_store("s", 400), S, L)


@pytest.mark.parametrize("engine", ["memory", "rocksdb"])
@pytest.mark.parametrize("kind", ["window", "window-dups", "session"])
def test_one_key_fetch_is_the_range_fetch_filtered_to_the_key(
    tmp_path: Path, engine: str, kind: str
) -> None:
    builder = (
        session_builder(engine) if kind == "session" else window_builder(engine, "dups" in kind)
    )
    store = builder.build()
    store.init(context(tmp_path))
    buffer = buffer_of(store)
    record_key = buffer.schema.record_key
    rng = random.Random(7)
    offset = 0
    written: list[bytes] = []
    checked = 0
    for step in range(600):
        kb = rng.choice(KEYS)
        t = step + rng.randrange(-40, 5)
        if t < 0:
            t = 0
        if kind == "session":
            sk = session_key(kb, t, t + rng.randrange(0, 30))
        else:
            sk = window_key(kb, t, step if kind == "window-dups" else 0)
        if written and rng.random() < 0.15:
            buffer.put(rng.choice(written), None)  # a delete: hides what the engine holds
        else:
            buffer.put(sk, b"v%d" % step)
            written.append(sk)
        if rng.random() < 0.08:
            offset += 1
            buffer.commit(offset)  # some entries in the engine, the rest buffered
        if step % 7 == 0:
            for key in KEYS:
                lo = rng.randrange(0, step + 1)
                hi = lo + rng.randrange(0, 120)
                for reverse in (False, True):
                    expected = [
                        kv
                        for kv in buffer.fetch(None, None, lo, hi, reverse)
                        if record_key(kv[0]) == key
                    ]
                    assert buffer.fetch_key(key, lo, hi, reverse) == expected
                    assert list(buffer.fetch(key, key, lo, hi, reverse)) == expected
                    checked += bool(expected)
    assert checked > 50  # the comparisons saw entries, not only empty answers
    store.close()


@pytest.mark.parametrize("engine", ["memory", "rocksdb"])
def test_a_cached_window_past_the_store_s_stream_time_is_not_read_below(
    tmp_path: Path, engine: str
) -> None:
    def opened() -> tuple[Any, list[bytes]]:
        store = cached_store(window_builder(engine, False).build(), ThreadCache(1 << 20))
        store.init(context(tmp_path))
        reads: list[bytes] = []
        metered = store.wrapped
        get_at = metered.get_at

        def counted(store_key: bytes) -> Any:
            reads.append(store_key)
            return get_at(store_key)

        metered.get_at = counted
        return store, reads

    store, reads = opened()
    store.put("a", 1, 100)
    store.put("a", 2, 200)
    store.flush_cache()
    store.flush_changelog()
    store.commit(1)
    assert store.observed_stream_time == 200
    assert (store.fetch("b", 100), store.fetch("b", 200)) == (None, None)
    assert len(reads) == 2  # at or before the stream time: looked up below
    assert store.fetch("b", 210) is None and len(reads) == 2  # after it: never written there
    store.put("b", 5, 300)  # a new window: its old value is not read below either
    assert len(reads) == 2
    store.flush_cache()
    store.flush_changelog()
    store.commit(2)
    store.close()
    if engine == "memory":
        return
    # reopened: the stream time comes back with the data, and the windows are found again
    again, reads = opened()
    assert again.observed_stream_time == 300
    assert (again.fetch("a", 100), again.fetch("a", 200), again.fetch("b", 300)) == (1, 2, 5)
    assert again.fetch("a", 310) is None and len(reads) == 3
    again.close()
