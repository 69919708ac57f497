"""The suite's xdist schedule (tests/suite_schedule.py): modules whole on one worker, the heavy
modules one unit handed out first, so two of them never run at the same time."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import suite_schedule

# the first three heavy modules, collected in the reverse of the order they must run in
HEAVY = [f"tests/integration/{name}" for name in reversed(suite_schedule.HEAVY_MODULES[:3])]
LIGHT = ["tests/unit/test_a.py", "tests/unit/test_b.py", "tests/integration/test_c.py"]


class FakeWorker:
    """What the scheduler uses of xdist's WorkerController: it records what it was sent."""

    def __init__(self, name: str, collection: list[str]) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.collection = collection
        self.sent: list[str] = []
        self.shutting_down = False

    def send_runtest_some(self, indices: list[int]) -> None:
        self.sent.extend(self.collection[i] for i in indices)

    def shutdown(self) -> None:
        self.shutting_down = True


def _scheduler(dist: str = "loadfile") -> object:
    option = SimpleNamespace(loadscopereorder=True)
    values = {"dist": dist, "tx": ["2*popen"]}
    config = SimpleNamespace(option=option, getvalue=values.__getitem__)
    return suite_schedule.pytest_xdist_make_scheduler(config=config, log=None)


def _collection() -> list[str]:
    # light modules with more tests than the heavy ones: loadfile alone would hand them out first
    tests = [f"{m}::test_{i}" for m in LIGHT for i in range(6)]
    return tests + [f"{m}::test_{i}" for m in HEAVY for i in range(2)]


def _run(sched, workers: list[FakeWorker]) -> dict[str, list[str]]:
    """Run the schedule to its end, one test at a time per worker; what ran where, in order."""
    ran: dict[str, list[str]] = {w.gateway.id: [] for w in workers}
    while sched.has_pending:
        progressed = False
        for w in workers:
            done = len(ran[w.gateway.id])
            if done < len(w.sent):
                nodeid = w.sent[done]
                ran[w.gateway.id].append(nodeid)
                sched.mark_test_complete(w, w.collection.index(nodeid))
                progressed = True
        assert progressed, "the scheduler left tests pending that no worker was sent"
    return ran


def test_the_heavy_modules_run_together_on_one_worker_and_first() -> None:
    sched = _scheduler()
    collection = _collection()
    workers = [FakeWorker("gw0", collection), FakeWorker("gw1", collection)]
    for w in workers:
        sched.add_node(w)
    for w in workers:
        sched.add_node_collection(w, collection)
    sched.schedule()

    ran = _run(sched, workers)
    heavy = [t for t in collection if t.split("::")[0] in HEAVY]
    on = {t: worker for worker, tests in ran.items() for t in tests}
    assert sorted(on) == sorted(collection)  # each test once
    heavy_workers = {on[t] for t in heavy}
    assert len(heavy_workers) == 1
    [heavy_worker] = heavy_workers
    in_list_order = sorted(heavy, key=lambda t: HEAVY[::-1].index(t.split("::")[0]))
    assert ran[heavy_worker][: len(heavy)] == in_list_order  # first, in HEAVY_MODULES' order
    modules_on: dict[str, set[str]] = {}
    for t, worker in on.items():
        modules_on.setdefault(t.split("::")[0], set()).add(worker)
    assert all(len(ws) == 1 for ws in modules_on.values()), modules_on  # modules stay whole


def test_other_dist_modes_keep_xdist_s_own_scheduler() -> None:
    assert _scheduler("load") is None
    assert _scheduler("loadgroup") is None


def test_every_heavy_module_exists() -> None:
    suite_schedule.check_heavy_modules()  # raises naming a renamed or removed module
    assert len(set(suite_schedule.HEAVY_MODULES)) == len(suite_schedule.HEAVY_MODULES)


def test_a_heavy_module_that_does_not_exist_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suite_schedule, "HEAVY_MODULES", ("test_eos_chaos.py", "test_gone.py"))
    with pytest.raises(pytest.UsageError, match=r"\['test_gone.py'\]"):
        suite_schedule.check_heavy_modules()
