"""State survives crashes, restarts, lost state directories and hand-overs (real broker).

The word-count example runs in the test process (to watch restoration through a restore
listener) or as ``apps/word_count_app.py`` subprocesses (to SIGKILL it, or to run two
instances). Counts are read back from the output topic (latest value per key) and compared
with counts computed in the test.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from confluent_kafka import Producer
from helpers import (
    REPO_ROOT,
    AppProcess,
    RestoreRecorder,
    TopicReader,
    add_counts,
    app_topics,
    committed_offsets,
    delete_topics,
    group_assignment,
    group_caught_up,
    latest_counts,
    produce,
    read_all,
    streams_config,
    text_lines,
    unique_app_id,
    wait_until,
)

from kstreams import KafkaStreams
from kstreams.errors import IllegalStateError

sys.path.insert(0, str(REPO_ROOT / "examples"))

import word_count  # examples/word_count.py

pytestmark = pytest.mark.integration

STORE = "counts"


def _counts_are(expected: dict[str, int]):
    return lambda recs: latest_counts(recs) == expected


def _config(bootstrap: str, app_id: str, state_dir: Path) -> dict:
    return streams_config(
        bootstrap,
        app_id,
        **{"state.dir": str(state_dir), "commit.interval.ms": 200},
    )


def _changelog_sizes(bootstrap: str, changelog: str) -> Counter[int]:
    """How many records each partition of ``changelog`` holds now."""
    return Counter(r.partition for r in read_all(bootstrap, changelog))


def _run_until_counts(
    bootstrap: str,
    src: str,
    dst: str,
    config: dict,
    records: list[tuple[str, str]],
    expected: dict[str, int],
    listener: RestoreRecorder | None = None,
    before_produce=None,
) -> None:
    """Start word count, produce ``records``, wait for ``expected`` counts, close cleanly."""
    streams = KafkaStreams(word_count.build_topology(src, dst), config)
    if listener is not None:
        streams.set_global_state_restore_listener(listener)
    try:
        streams.start()
        streams.wait_until_running(60)
        with pytest.raises(IllegalStateError):
            streams.cleanup()  # never while running
        if before_produce is not None:
            before_produce(streams)
        produce(bootstrap, src, records)
        with TopicReader(bootstrap, dst) as reader:
            reader.wait_for(
                _counts_are(expected), timeout=60, what="the expected counts", streams=streams
            )
            reader.settle_committed(config["application.id"], src)
            assert latest_counts(reader.records) == expected
    finally:
        closed = streams.close(60)
    assert closed, "KafkaStreams did not close in time"
    assert streams.state is KafkaStreams.State.NOT_RUNNING


# --------------------------------------------------------------------------- #
# 4. A deleted state directory is restored from the changelog
# --------------------------------------------------------------------------- #


def test_deleted_state_directory_is_restored_from_changelog(
    kafka_bootstrap: str, new_topic, tmp_path: Path
) -> None:
    src, dst = new_topic(partitions=3), new_topic(partitions=3)
    app_id = unique_app_id("wc-wipe")
    changelog = f"{app_id}-counts-changelog"
    first, first_counts = text_lines(seed=10, n=300)
    second, second_counts = text_lines(seed=11, n=150, key_prefix="second")
    config = _config(kafka_bootstrap, app_id, tmp_path)
    app_dir = tmp_path / app_id
    try:
        _run_until_counts(kafka_bootstrap, src, dst, config, first, first_counts)
        assert app_dir.is_dir() and any(app_dir.iterdir()), "no local state was written"
        sizes = _changelog_sizes(kafka_bootstrap, changelog)
        assert sum(sizes.values()) >= len(first_counts)

        # KafkaStreams.cleanup() deletes <state.dir>/<application.id>
        KafkaStreams(word_count.build_topology(src, dst), config).cleanup()
        assert not app_dir.exists()

        listener = RestoreRecorder()

        def restored_state(streams: KafkaStreams) -> None:
            # restoration happened before RUNNING: the store holds the first counts already
            assert dict(streams.store(STORE).all()) == first_counts

        _run_until_counts(
            kafka_bootstrap,
            src,
            dst,
            config,
            second,
            add_counts(first_counts, second_counts),
            listener,
            before_produce=restored_state,
        )
        starts, batches, ends = listener.of("start"), listener.of("batch"), listener.of("end")
        restored_partitions = {p for p, n in sizes.items() if n}
        assert {(e[1], e[2]) for e in starts} == {(changelog, p) for p in restored_partitions}
        assert {e[3] for e in listener.events} == {STORE}
        for _, _topic, partition, _, start, end in starts:
            assert (start, end) == (0, sizes[partition]), (partition, start, end, sizes)
        for p in restored_partitions:
            in_batches = [e for e in batches if e[2] == p]
            assert sum(e[5] for e in in_batches) == sizes[p]
            assert in_batches[-1][4] == sizes[p] - 1  # the last batch ends at the last record
            [end_event] = [e for e in ends if e[2] == p]
            assert end_event[4] == sizes[p]
        # callbacks in order per partition: start, batches, end
        for p in restored_partitions:
            kinds = [e[0] for e in listener.events if e[2] == p]
            assert kinds[0] == "start" and kinds[-1] == "end" and set(kinds[1:-1]) == {"batch"}
    finally:
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))


# --------------------------------------------------------------------------- #
# 5. A clean restart restores nothing
# --------------------------------------------------------------------------- #


def test_clean_restart_restores_nothing(kafka_bootstrap: str, new_topic, tmp_path: Path) -> None:
    src, dst = new_topic(partitions=3), new_topic(partitions=3)
    app_id = unique_app_id("wc-clean")
    first, first_counts = text_lines(seed=20, n=300)
    second, second_counts = text_lines(seed=21, n=150, key_prefix="second")
    config = _config(kafka_bootstrap, app_id, tmp_path)
    try:
        first_listener = RestoreRecorder()
        _run_until_counts(kafka_bootstrap, src, dst, config, first, first_counts, first_listener)
        assert first_listener.events == []  # empty changelog: nothing to restore

        listener = RestoreRecorder()

        def local_state(streams: KafkaStreams) -> None:
            # the local stores came back with the first counts without reading the changelog
            assert dict(streams.store(STORE).all()) == first_counts

        _run_until_counts(
            kafka_bootstrap,
            src,
            dst,
            config,
            second,
            add_counts(first_counts, second_counts),
            listener,
            before_produce=local_state,
        )
        restored = sum(e[4] for e in listener.of("end"))
        assert listener.of("start") == [] and restored == 0, listener.events
    finally:
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))


# --------------------------------------------------------------------------- #
# 3. Counts survive a hard kill (SIGKILL) of the app process
# --------------------------------------------------------------------------- #


def _word_count_app(
    bootstrap: str, app_id: str, src: str, dst: str, state_dir: Path, log: Path
) -> AppProcess:
    # A short session timeout, so the group drops a SIGKILLed member quickly.
    return AppProcess(
        "word_count_app.py",
        bootstrap,
        app_id,
        src,
        dst,
        str(state_dir),
        "--commit-interval-ms",
        "200",
        "--session-timeout-ms",
        "6000",
        log_path=log,
    )


def _committed(bootstrap: str, group: str, topic: str) -> int:
    """How many records of ``topic`` ``group`` has committed (sum of committed offsets)."""
    return sum(max(0, o) for o in committed_offsets(bootstrap, group, topic).values())


def _restored(app: AppProcess, changelog: str) -> dict[int, int]:
    """``{changelog partition: records restored}`` from the app's RESTORE_END lines."""
    out: Counter[int] = Counter()
    for line in app.lines("RESTORE_END"):
        topic, partition, store, total = line.split()
        assert (topic, store) == (changelog, STORE), line
        out[int(partition)] += int(total)
    return dict(out)


@pytest.mark.slow
def test_counts_exact_after_sigkill_once_committed(
    kafka_bootstrap: str, new_topic, tmp_path: Path
) -> None:
    src, dst = new_topic(partitions=3), new_topic(partitions=3)
    app_id = unique_app_id("wc-kill")
    repartition, changelog = f"{app_id}-counts-repartition", f"{app_id}-counts-changelog"
    first, first_counts = text_lines(seed=30, n=400)
    second, second_counts = text_lines(seed=31, n=400, key_prefix="second")
    expected = add_counts(first_counts, second_counts)
    state_dir = tmp_path / "state"
    try:
        with TopicReader(kafka_bootstrap, dst) as reader:
            app = _word_count_app(kafka_bootstrap, app_id, src, dst, state_dir, tmp_path / "1.log")
            with app:
                app.wait_for_line("STATE RUNNING")
                produce(kafka_bootstrap, src, first)
                reader.wait_for(_counts_are(first_counts), timeout=60, what="the first counts")
                # Everything processed is committed (input and repartition offsets, so the
                # changelog is flushed too): a crash now must lose and repeat nothing.
                wait_until(
                    lambda: group_caught_up(kafka_bootstrap, app_id, [src, repartition]),
                    timeout=30,
                    interval=0.2,
                    what="the group to commit every processed offset",
                )
                app.kill()
                assert app.returncode == -9
            assert "CLOSED" not in app.output

            produce(kafka_bootstrap, src, second)
            app2 = _word_count_app(kafka_bootstrap, app_id, src, dst, state_dir, tmp_path / "2.log")
            with app2:
                app2.wait_for_line("STATE RUNNING")
                reader.wait_for(_counts_are(expected), timeout=90, what="the final counts")
                reader.settle_committed(app_id, src)
                assert latest_counts(reader.records) == expected
                # Whatever the local RocksDB missed (a kill between the offset commit and the
                # store's own commit) came from the changelog tail, never more than it holds.
                sizes = _changelog_sizes(kafka_bootstrap, changelog)
                for partition, n in _restored(app2, changelog).items():
                    assert n <= sizes[partition]
                assert app2.stop() == 0, app2.output[-3000:]
            assert "CLOSED True NOT_RUNNING" in app2.output
    finally:
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))


@pytest.mark.slow
def test_counts_at_least_once_after_sigkill_at_random_moment(
    kafka_bootstrap: str, new_topic, tmp_path: Path
) -> None:
    src, dst = new_topic(partitions=3), new_topic(partitions=3)
    app_id = unique_app_id("wc-crash")
    repartition = f"{app_id}-counts-repartition"
    seed = int(os.environ.get("KSTREAMS_TEST_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    lines, expected = text_lines(seed=seed, n=4000)
    chunks = [lines[i : i + 100] for i in range(0, len(lines), 100)]
    kill_after = rng.randrange(5, len(chunks) - 10)
    state_dir = tmp_path / "state"
    try:
        with TopicReader(kafka_bootstrap, dst) as reader:
            app = _word_count_app(kafka_bootstrap, app_id, src, dst, state_dir, tmp_path / "1.log")
            with app:
                app.wait_for_line("STATE RUNNING")
                # input keeps arriving; the app dies (SIGKILL) at a random moment while it runs
                producer = Producer(
                    {"bootstrap.servers": kafka_bootstrap, "partitioner": "murmur2_random"}
                )
                for i, chunk in enumerate(chunks):
                    for key, line in chunk:
                        producer.produce(src, key=key.encode(), value=line.encode())
                    assert producer.flush(30) == 0
                    time.sleep(0.05)
                    if i == kill_after:
                        time.sleep(rng.uniform(0.0, 0.25))
                        app.kill()
                assert app.returncode == -9
            # before the crash nothing was processed twice (the app is dead: what it wrote is
            # all there is)
            reader.read_to_end()
            partial = latest_counts(reader.records)
            assert all(n <= expected[w] for w, n in partial.items()), f"seed {seed}"

            app2 = _word_count_app(kafka_bootstrap, app_id, src, dst, state_dir, tmp_path / "2.log")
            with app2:
                app2.wait_for_line("STATE RUNNING")
                # At least once: every word counted, none below its count (a record processed
                # after the last commit may have been counted twice).
                reader.wait_for(
                    lambda recs: all(
                        latest_counts(recs).get(w, 0) >= n for w, n in expected.items()
                    ),
                    timeout=90,
                    what=f"every count at least the expected one (seed {seed})",
                )
                wait_until(
                    lambda: group_caught_up(kafka_bootstrap, app_id, [src, repartition]),
                    timeout=30,
                    interval=0.2,
                    what="the restarted app to commit the whole input",
                )
                reader.read_to_end()
                final = latest_counts(reader.records)
                assert set(final) == set(expected), f"seed {seed}"
                low = {w: (final[w], n) for w, n in expected.items() if final[w] < n}
                assert not low, f"counts below the input's (seed {seed}): {low}"
                assert app2.stop() == 0, app2.output[-3000:]
    finally:
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))


# --------------------------------------------------------------------------- #
# 6. Two instances: tasks move with their state on a clean stop
# --------------------------------------------------------------------------- #


@pytest.mark.slow
def test_two_instances_hand_over_state(kafka_bootstrap: str, new_topic, tmp_path: Path) -> None:
    src, dst = new_topic(partitions=4), new_topic(partitions=4)
    app_id = unique_app_id("wc-two")
    repartition, changelog = f"{app_id}-counts-repartition", f"{app_id}-counts-changelog"
    first, first_counts = text_lines(seed=40, n=400)
    second, second_counts = text_lines(seed=41, n=400, key_prefix="second")
    expected = add_counts(first_counts, second_counts)

    def app(name: str) -> AppProcess:
        return AppProcess(
            "word_count_app.py",
            kafka_bootstrap,
            app_id,
            src,
            dst,
            str(tmp_path / f"state-{name}"),
            log_path=tmp_path / f"{name}.log",
        )

    a, b = app("a"), app("b")
    try:
        with TopicReader(kafka_bootstrap, dst) as reader, a, b:
            a.wait_for_line("STATE RUNNING")
            b.wait_for_line("STATE RUNNING")
            a_id, b_id = a.lines("CLIENT_ID")[0], b.lines("CLIENT_ID")[0]

            def both_assigned() -> dict[str, set[tuple[str, int]]] | None:
                members = group_assignment(kafka_bootstrap, app_id)
                if not members or len(members) != 2 or not all(members.values()):
                    return None
                return members

            members = wait_until(both_assigned, timeout=60, interval=0.5, what="two members")
            owned = {
                owner: parts
                for owner in (a_id, b_id)
                for client, parts in members.items()
                if client.startswith(owner)
            }
            assert set(owned) == {a_id, b_id}, members
            every = {(t, p) for t in (src, repartition) for p in range(4)}
            assert owned[a_id] | owned[b_id] == every
            assert owned[a_id].isdisjoint(owned[b_id])
            # both instances run counting tasks (partitions of the repartition topic)
            a_counting = {p for t, p in owned[a_id] if t == repartition}
            assert a_counting and {p for t, p in owned[b_id] if t == repartition}

            produce(kafka_bootstrap, src, first)
            reader.wait_for(_counts_are(first_counts), timeout=60, what="the first counts")
            assert not _restored(b, changelog), "b restored before any hand-over"

            # stop a cleanly: its tasks move to b, which restores their stores from the changelog
            assert a.stop() == 0, a.output[-3000:]
            assert "CLOSED True NOT_RUNNING" in a.output
            sizes = _changelog_sizes(kafka_bootstrap, changelog)
            members = wait_until(
                lambda: (m := group_assignment(kafka_bootstrap, app_id)) and len(m) == 1 and m,
                timeout=60,
                interval=0.5,
                what="the group to rebalance onto b",
            )
            [(client, parts)] = members.items()
            assert client.startswith(b_id) and parts == every
            wait_until(
                lambda: set(_restored(b, changelog)) >= {p for p in a_counting if sizes[p]},
                timeout=30,
                what="b to restore a's stores",
            )
            # b restored exactly a's changelog partitions, each in full; its own stores were
            # committed when the rebalance revoked them, so they restore nothing
            assert _restored(b, changelog) == {p: sizes[p] for p in a_counting if sizes[p]}

            produce(kafka_bootstrap, src, second)
            reader.wait_for(_counts_are(expected), timeout=60, what="the final counts")
            reader.settle_committed(app_id, src)
            assert latest_counts(reader.records) == expected
            assert b.returncode is None, b.output[-3000:]
            assert b.stop() == 0, b.output[-3000:]
    finally:
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))
