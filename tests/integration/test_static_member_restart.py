"""Static membership: an instance restarted with its ``group.instance.id`` gets its tasks back.

Two instances (``a``, ``b``) of ``eos/eos_app.py`` with ``--static`` share a 4-partition
input (8 tasks); ``b`` is SIGKILLed (``kill``) or closed cleanly by SIGTERM (``stop``) and
restarted at once with the same ``group.instance.id``, under each group protocol. The test
polls both logs every 0.1 s and measures, from the kill (or the end of the close):

* when the restarted ``b`` printed ``CLIENT_ID`` (Python and kstreams started), when it
  ran again exactly the tasks it ran before, and when it was RUNNING;
* whether the survivor ``a`` ever left RUNNING meanwhile, and which tasks it gave up or
  took over.

What Kafka guarantees, and what is asserted:

* ``classic``: a static member that rejoins within ``session.timeout.ms`` (30 s here) gets
  its old assignment back from the coordinator without a rebalance: ``b`` runs its old
  tasks again well within the session, ``a`` stays RUNNING with its tasks untouched.
* ``consumer`` (KIP-848), ``stop``: a static member's close leaves with epoch -2, the
  coordinator keeps its assignment for its session: the same as ``classic``.
* ``consumer``, ``kill``: the coordinator refuses the instance id while the killed member
  holds it (``UNRELEASED_INSTANCE_ID``, which librdkafka makes fatal: kstreams joins again
  with a new consumer every second, :mod:`kstreams.runtime.static_rejoin`) until its session
  (the broker's ``group.consumer.session.timeout.ms``, 10 s on kstreams' test broker)
  expires; the coordinator then gives the killed member's partitions to ``a``, and to the
  restarted ``b`` (the range assignment sorts static members by instance id) once it joins a
  moment later. Asserted: ``b`` runs its old tasks again within the session timeout plus a
  bound, and ``a`` never gives up one of its own tasks.

Measured (2-core machine, local broker): classic 1.0-1.1 s to RUNNING with its tasks, the
survivor never rebalancing, after a kill as after a close; consumer 1.8 s after a close
(no rebalance), 11.8 s after a kill (the survivor REBALANCING twice, running ``b``'s tasks
for about a second). The figures are printed (``[static] ...`` lines; run with ``-s``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from eos.chaos import EventLog, Instances
from helpers import unique_app_id
from test_eos_chaos import OUTPUTS, _app_args, _delete_internal_topics
from test_incremental_rebalance import _running_now, _task_events

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARTITIONS = 4
TASKS = 2 * PARTITIONS  # the app's two sub-topologies
CLASSIC_SESSION_S = 30.0
BROKER_SESSION_S = 10.0  # kstreams' test broker: group.consumer.session.timeout.ms
START_BOUND_S = 20.0
"""How long a restarted instance may take to start and rejoin, beyond what the protocol
makes it wait, on a loaded 2-core machine (Python and kstreams import, state directory,
checkpoints, the join). Measured: 2-5 s."""
AFTER_S = 4.0
"""How long both are watched once ``b`` is back (a late rebalance would show)."""


def _states(text: str) -> list[str]:
    return [line.split()[1] for line in text.splitlines() if line.startswith("STATE ")]


@pytest.mark.parametrize("how", ["kill", "stop"])
@pytest.mark.parametrize("protocol", ["classic", "consumer"])
def test_a_static_member_restarted_gets_its_tasks_back(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path, protocol: str, how: str
) -> None:
    topics = {name: new_topic(partitions=PARTITIONS) for name in ("input", *OUTPUTS)}
    app_id = unique_app_id(f"static-{protocol}")
    (tmp_path / "logs").mkdir()
    log = EventLog()
    log(f"application.id {app_id} ({protocol}), logs in {tmp_path / 'logs'}")
    args = [
        *_app_args(kafka_bootstrap, app_id, topics),
        "--group-protocol",
        protocol,
        "--static",
        "--session-timeout-ms",  # classic only: the consumer protocol's is the broker's
        str(int(CLASSIC_SESSION_S * 1000)),
    ]
    session_s = CLASSIC_SESSION_S if protocol == "classic" else BROKER_SESSION_S
    try:
        with Instances(args, tmp_path / "state", tmp_path / "logs", log) as instances:
            a = instances.start("a")
            instances.start("b")

            def wait_for(condition: Any, timeout: float) -> bool:
                end = time.monotonic() + timeout
                while time.monotonic() < end:
                    instances.supervise()
                    if condition():
                        return True
                    time.sleep(0.1)
                return condition()

            def settled() -> bool:
                b_now = instances.current["b"]
                owned = _running_now(a.output()), _running_now(b_now.output())
                return (
                    a.state() == "RUNNING"
                    and b_now.state() == "RUNNING"
                    and all(owned)
                    and len(owned[0] | owned[1]) == TASKS
                    and not owned[0] & owned[1]
                )

            assert wait_for(settled, 120), (
                f"a: {a.state()} {_running_now(a.output())}, b: {instances.current['b'].state()} "
                f"{_running_now(instances.current['b'].output())}\n{instances.problems_in_logs()}"
            )
            time.sleep(2.0)  # no rebalance still under way
            assert settled()
            a_tasks = _running_now(a.output())
            b_tasks = _running_now(instances.current["b"].output())
            log(f"a runs {sorted(a_tasks)}, b runs {sorted(b_tasks)}")

            a_mark = len(a.output())
            if how == "kill":
                instances.kill("b")
            else:
                closing = time.monotonic()
                assert instances.stop("b") == 0
                log(f"b closed in {time.monotonic() - closing:.1f}s")
            killed_at = time.monotonic()
            b = instances.start("b")
            started: float | None = None
            back: float | None = None
            running: float | None = None
            end = killed_at + session_s + START_BOUND_S + AFTER_S
            while time.monotonic() < end:
                instances.supervise()
                now = time.monotonic() - killed_at
                out = b.output()
                if started is None and "CLIENT_ID" in out:
                    started = now
                if back is None and _running_now(out) == b_tasks:
                    back = now
                if running is None and back is not None and b.state() == "RUNNING":
                    running = now
                if running is not None and now > running + AFTER_S:
                    break
                time.sleep(0.1)

            a_after = a.output()[a_mark:]
            a_states = _states(a_after)
            a_events = _task_events(a_after)
            a_gave = set().union(*(ids for kind, ids in a_events if kind != "running"))
            a_took = set().union(*(ids for kind, ids in a_events if kind == "running")) - a_tasks
            b_events = _task_events(b.output())

            def fmt(t: float | None) -> str:
                return "never" if t is None else f"{t:.1f}s"

            figures = (
                f"[static] {protocol}, {how}: restarted b started after {fmt(started)}, ran its "
                f"{len(b_tasks)} tasks again after {fmt(back)}, RUNNING after {fmt(running)} "
                f"(session timeout {session_s:.0f}s); survivor a: states {a_states or 'none'} "
                f"(stayed RUNNING: {not a_states}), gave up {sorted(a_gave) or 'nothing'}, "
                f"took over {sorted(a_took) or 'nothing'}"
            )
            log(figures)
            print(figures, flush=True)
            problems = instances.problems_in_logs()

            assert back is not None and running is not None, (
                f"{figures}; b's task events {b_events}, state {b.state()}\n{problems}"
            )
            assert _running_now(b.output()) == b_tasks, (b_events, b_tasks)
            assert _running_now(a.output()) == a_tasks, (a_events, a_tasks)
            assert not a_gave & a_tasks, f"the survivor gave up its own tasks: {figures}"
            if protocol == "classic" or how == "stop":
                # the coordinator hands the static member its assignment back: no rebalance
                assert running < min(START_BOUND_S, session_s / 2), figures
                assert not a_states, f"the survivor rebalanced: {figures}"
                assert not a_took and not a_gave, figures
            else:
                # fenced until the killed member's session expired, then it joins at once
                assert running < session_s + START_BOUND_S, figures
            assert not instances.failures(), instances.failures()
            instances.stop_all()
            assert not instances.failures(), instances.failures()
    finally:
        _delete_internal_topics(kafka_bootstrap, app_id)
