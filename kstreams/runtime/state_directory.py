"""The application's local directory ``<state.dir>/<application.id>``: process id and lock.

As in Kafka Streams, the process id is kept in ``kafka-streams-process-metadata`` so a
restarted instance keeps its identity -- under exactly-once its transactional ids stay the
same, and ``init_transactions`` fences (and aborts) what a crashed predecessor left open
instead of waiting for the broker to time it out. A lock file makes sure two running
instances never share one state directory.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from typing import IO

from kstreams.errors import StreamsError

PROCESS_METADATA = "kafka-streams-process-metadata"
LOCK_FILE = ".lock"


class StateDirectory:
    """``<state.dir>/<application.id>`` of one KafkaStreams client.

    ``enabled`` is False for a topology without state stores: nothing is written or locked.
    """

    def __init__(self, state_dir: str, application_id: str, enabled: bool = True) -> None:
        self.path = os.path.join(state_dir, application_id)
        self.enabled = enabled
        self._lock: IO[str] | None = None

    def process_id(self) -> uuid.UUID:
        """The persisted process id, created on first use (a fresh one when not ``enabled``)."""
        if not self.enabled:
            return uuid.uuid4()
        os.makedirs(self.path, exist_ok=True)
        meta = os.path.join(self.path, PROCESS_METADATA)
        try:
            with open(meta, encoding="utf-8") as f:
                return uuid.UUID(json.load(f)["processId"])
        except FileNotFoundError:
            pass
        except (ValueError, KeyError, TypeError):
            pass  # unreadable: replaced below, as Kafka Streams does
        pid = uuid.uuid4()
        tmp = f"{meta}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"processId": str(pid)}, f)
        os.replace(tmp, meta)
        return pid

    def lock(self) -> None:
        """Take the directory for this process; fail if another running instance has it."""
        if self._lock is not None or not self.enabled:
            return
        os.makedirs(self.path, exist_ok=True)
        handle = open(os.path.join(self.path, LOCK_FILE), "a+", encoding="utf-8")  # noqa: SIM115
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise StreamsError(
                f"Unable to initialize state: another instance of application is running in "
                f"the same state directory {self.path}. Give each instance its own state.dir."
            ) from None
        self._lock = handle

    def unlock(self) -> None:
        """Release the directory."""
        if self._lock is not None:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None
