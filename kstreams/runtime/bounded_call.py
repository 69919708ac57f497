"""A transactional call run on a helper thread, so that the stream thread can stop waiting.

librdkafka's ``send_offsets_to_transaction`` waits for its background operation with no
limit: the timeout it is given is only checked when a response arrives. After the
transaction coordinator's broker died, its AddOffsetsToTxn / TxnOffsetCommit request can be
left where no response and no timeout ever reach it, and the call blocks for as long as the
process lives (seen in the cluster test: a stream thread in it for minutes, until close()
gave up). Kafka Streams' producer calls are bounded by ``max.block.ms`` and a timed-out
commit resets the producer; here the caller replaces the producer when the call has not
returned in time (:class:`~kstreams.runtime.committer.ExactlyOnceCommitter`).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any


class StuckCall(Exception):
    """A call did not return in time (its producer is left to it)."""


class BoundedCall:
    """One call of ``fn(timeout_s)``, run by a :class:`CallThread`; :meth:`result` waits for it
    for a bounded time. ``on_late`` runs on the helper thread if the call returns after the
    caller gave up on it (the producer is closed then, never while the call is still inside
    it)."""

    __slots__ = (
        "_abandoned",
        "_done",
        "_finished",
        "_fn",
        "_lock",
        "_timeout_s",
        "error",
        "on_late",
    )

    def __init__(self, fn: Callable[[float], Any], timeout_s: float) -> None:
        self._fn, self._timeout_s = fn, timeout_s
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._finished = self._abandoned = False
        self.error: BaseException | None = None
        self.on_late: Callable[[], None] | None = None

    def run(self) -> bool:
        """Make the call (on the helper thread); returns whether the caller gave up on it."""
        try:
            self._fn(self._timeout_s)
        except BaseException as exc:  # handed to the caller (or dropped if it gave up)
            self.error = exc
        with self._lock:
            self._finished = True
            late = self._abandoned
        self._done.set()
        if late and self.on_late is not None:
            self.on_late()
        return late

    def result(self, wait_s: float, on_late: Callable[[], None]) -> None:
        """Wait up to ``wait_s`` for the call; raise what it raised, or :class:`StuckCall`
        (then ``on_late`` runs when, if ever, the call returns)."""
        self._done.wait(wait_s)
        with self._lock:
            if not self._finished:
                self._abandoned = True
                self.on_late = on_late
                raise StuckCall(f"no return within {wait_s:.0f}s")
        if self.error is not None:
            raise self.error


class CallThread(threading.Thread):
    """Runs :class:`BoundedCall` s one after the other, as they are submitted.

    It lives as long as its committer: submitting a call costs a queue put, where starting a
    thread per call made the stream thread wait until the new thread ran (milliseconds on a
    loaded machine, at every exactly-once commit). After a call the caller gave up on, the
    thread ends (its caller makes a new one for the next calls).
    """

    def __init__(self, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._calls: queue.SimpleQueue[BoundedCall | None] = queue.SimpleQueue()
        self.start()

    def submit(self, call: BoundedCall) -> None:
        """Run ``call`` after those submitted before it."""
        self._calls.put(call)

    def stop(self) -> None:
        """End the thread once the calls submitted before are done."""
        self._calls.put(None)

    def run(self) -> None:
        while (call := self._calls.get()) is not None:
            if call.run():
                return  # given up on: the caller has a new thread by now
