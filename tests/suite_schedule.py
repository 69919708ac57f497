"""How kstreams' own suite shares pytest-xdist workers: the heavy modules apart, on one worker.

Under ``-n N --dist loadfile`` (what ``make test`` runs) each test module runs whole on one
worker, as with xdist's own ``loadfile``, except the modules of :data:`HEAVY_MODULES`: those are
one work unit, run one after another on one worker, and handed out first, so that the other
worker runs the rest of the suite meanwhile and two heavy modules never run at the same time
(on 2 cores a chaos run beside a 3-broker cluster timed out). With ``--durations=N`` the summary
also lists the slowest modules and each worker's busy time, to see whether the two are balanced.
Registered by ``tests/conftest.py``.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from _pytest.terminal import TerminalReporter

#: Integration modules that load the machine most: several app subprocesses, a multi-broker or
#: secured cluster, broker kills and restarts. File names in ``tests/integration/`` (unique in
#: ``tests/``, see ``test_test_layout.py``); a new heavy module is one more line here, and
#: they run in this order.
HEAVY_MODULES: tuple[str, ...] = (
    # in the order they run: the start of a run is its busiest time (both session brokers and
    # the differential tests' JVM start beside them), so the 3-broker cluster modules come last
    # (on CI a restarted cluster node was still loading its logs after 120 s at that time)
    "test_secured_cluster.py",  # SASL/SSL brokers with ACLs
    "test_secured_lifecycle.py",
    "test_state_recovery.py",  # app subprocesses killed with SIGKILL, state restored
    "test_standby_replicas.py",  # instances killed, standby tasks take over
    "test_incremental_rebalance.py",  # instances joining and leaving under load
    "test_eos_chaos.py",  # instances SIGKILLed in a loop, a broker restart, EOS verification
    "test_cluster_cli.py",  # a detached 3-broker cluster
    "test_cluster_broker_failures.py",  # 3 broker JVMs, one killed under load
)

#: The name of the heavy modules' work unit in the xdist scheduler.
HEAVY_SCOPE = "heavy modules (tests/suite_schedule.py HEAVY_MODULES)"


def _module_name(nodeid: str) -> str:
    """``tests/integration/test_x.py::test_y[1]`` -> ``test_x.py``."""
    return nodeid.split("::", 1)[0].rsplit("/", 1)[-1]


def check_heavy_modules() -> None:
    """Every name in :data:`HEAVY_MODULES` is a module of ``tests/integration/``."""
    integration = Path(__file__).parent / "integration"
    missing = [name for name in HEAVY_MODULES if not (integration / name).is_file()]
    if missing:
        raise pytest.UsageError(
            f"tests/suite_schedule.py HEAVY_MODULES names {missing}, not in {integration}: "
            "rename or remove the entries"
        )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile`` with the heavy modules as one unit, handed out first."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    heavy = frozenset(HEAVY_MODULES)
    order = {name: rank for rank, name in enumerate(HEAVY_MODULES)}

    class HeavyApartScheduling(LoadFileScheduling):
        """Modules whole on one worker; the heavy ones together, one after another."""

        def _split_scope(self, nodeid: str) -> str:
            if _module_name(nodeid) in heavy:
                return HEAVY_SCOPE
            return super()._split_scope(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            # the longest unit first: the other worker(s) run the rest meanwhile; its modules
            # in HEAVY_MODULES' order (a worker runs the tests in the order it is sent them)
            if HEAVY_SCOPE in self.workqueue:
                unit = self.workqueue[HEAVY_SCOPE]
                ranked = sorted(unit, key=lambda nodeid: order[_module_name(nodeid)])
                self.workqueue[HEAVY_SCOPE] = {nodeid: unit[nodeid] for nodeid in ranked}
                self.workqueue.move_to_end(HEAVY_SCOPE, last=False)
            super()._assign_work_unit(node)

    return HeavyApartScheduling(config, log)


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    """With ``--durations=N``: the N slowest modules and each xdist worker's busy time."""
    count = terminalreporter.config.getvalue("durations")
    if count is None:
        return
    by_module: defaultdict[str, float] = defaultdict(float)
    by_worker: defaultdict[str, float] = defaultdict(float)
    for reports in terminalreporter.stats.values():
        for report in reports:
            duration = getattr(report, "duration", None)
            if duration is None or not getattr(report, "when", None):
                continue
            module = report.nodeid.split("::", 1)[0]
            by_module[module] += duration
            node = getattr(report, "node", None)
            if node is not None:
                by_worker[node.gateway.id] += duration
    if not by_module:
        return
    slowest = sorted(by_module.items(), key=lambda item: -item[1])
    shown = slowest if count == 0 else slowest[:count]
    heavy = sum(d for m, d in by_module.items() if _module_name(m) in HEAVY_MODULES)
    terminalreporter.write_sep("=", f"slowest {len(shown)} modules (setup + call + teardown)")
    for module, duration in shown:
        mark = "  [heavy]" if _module_name(module) in HEAVY_MODULES else ""
        terminalreporter.write_line(f"{duration:8.1f}s {module}{mark}")
    terminalreporter.write_line(
        f"{sum(by_module.values()):8.1f}s in all, {heavy:.1f}s of it in the heavy modules"
    )
    for worker, busy in sorted(by_worker.items()):
        terminalreporter.write_line(f"{busy:8.1f}s of tests on worker {worker}")
