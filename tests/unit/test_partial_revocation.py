"""A task that loses only some of its partitions (an incremental rebalance: the consumer
protocol's assignor does not keep a task's partitions together) is closed, and the
partitions it keeps stay assigned without a task. Their records were fetched and dropped,
so their position moved past what the task processed: when an assignment completes the
task again, it must start them from the committed offsets, not from where the fetching
left off (those records were never processed: lost)."""

from __future__ import annotations

from test_stale_records import FakeConsumer, run_thread

A, B = "in", "in2"


def test_a_task_created_again_after_a_partial_revocation_loses_no_record() -> None:
    ends = {(A, 0): 3, (B, 0): 3}

    def more(c: FakeConsumer) -> None:  # while the task is closed, B-0 gets three more
        c.ends[(B, 0)] = 6

    script = {
        1: lambda c: c.rebalance("assign", [(A, 0), (B, 0)]),
        # 2-4: the task runs, processes both partitions' offsets 0-2
        5: lambda c: c.rebalance("revoke", [(A, 0)]),  # committed, then closed; B-0 stays
        6: more,
        9: lambda c: c.rebalance("assign", [(A, 0)]),  # the task is complete again
    }
    seen, fake, _ = run_thread(script, ends, 16, exactly_once=False, topics=(A, B))
    first = [r for r in seen if r[0] == B]
    # every record of B-0 once, in offset order: before, offsets 3-5 were fetched while the
    # task was closed, dropped, and the new task went on from offset 6
    assert first == [(B, 0, o) for o in range(6)]
    assert sorted(r for r in seen if r[0] == A) == [(A, 0, o) for o in range(3)]
    assert fake.committed_offsets[(B, 0)] == 3  # the revocation's commit
    assert (B, 0) not in fake.paused


def test_partitions_a_closed_task_keeps_are_not_read_while_it_is_closed() -> None:
    ends = {(A, 0): 2, (B, 0): 2}

    def more(c: FakeConsumer) -> None:
        c.ends[(B, 0)] = 5

    script = {
        1: lambda c: c.rebalance("assign", [(A, 0), (B, 0)]),
        5: lambda c: c.rebalance("revoke", [(A, 0)]),
        6: more,
    }
    seen, fake, _ = run_thread(script, ends, 12, exactly_once=False, topics=(A, B))
    assert sorted(seen) == sorted([(A, 0, 0), (A, 0, 1), (B, 0, 0), (B, 0, 1)])
    # paused from the revocation on: nothing fetched only to be dropped
    assert (B, 0) in fake.paused
    assert fake.pos[(B, 0)] == 2
