"""What a client's shutdown is waiting for, in words: what ``close()`` logs when it timed out.

Kafka Streams' ``close(Duration)`` returns false and logs that the client could not stop in
time; this also says where it stands: the close thread's step and, per thread still alive,
its state and its own shutdown's step (``StreamThread.close_step``: the final commit, closing
a consumer, the producer's last deliveries...) or how long ago its loop last polled.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any


def describe_shutdown(close_step: str, threads: Iterable[Any], global_thread: Any) -> str:
    """The close thread's ``close_step`` and what each live stream thread (and the global
    thread, if any) is doing."""
    parts = [f"the close thread is {close_step}"]
    for t in threads:
        if not t.is_alive():
            continue
        if t.close_step is not None:
            parts.append(f"{t.name} ({t.thread_state}) is at: {t.close_step}")
        else:
            polled = (
                ""
                if t.last_poll is None
                else f", its last poll {time.monotonic() - t.last_poll:.1f} s ago"
            )
            parts.append(f"{t.name} ({t.thread_state}) has not left its loop{polled}")
    if global_thread is not None and global_thread.is_alive():
        parts.append(f"{global_thread.name} ({global_thread.thread_state}) is still running")
    return "; ".join(parts)
