"""What a state store is given when its task opens it: :class:`StateStoreContext`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

DEFAULT_CACHE_MAX_BYTES = 10 * 1024 * 1024
"""Default memory budget of a store used outside a stream thread (``statestore.cache.max.bytes``)."""


class ChangelogCollector(Protocol):
    """The part of the runtime's record collector that stores use."""

    def send_changelog(
        self,
        topic: str,
        key: bytes,
        value: bytes | None,
        timestamp: int,
        partition: int,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> None:
        """Send one changelog record (``value`` None: a tombstone) to ``topic``/``partition``.

        ``headers``: the record's headers (the suppression buffer's format version); the
        runtime's collector and the test driver take them.
        """


def _no_commit() -> None:
    return None


def wall_clock_ms() -> int:
    """Wall-clock time in milliseconds: the fallback timestamp of changelog records."""
    return time.time_ns() // 1_000_000


@dataclass
class StateStoreContext:
    """The task-level facts a store needs to open, log its changes and ask for commits.

    Attributes:
        task_id: The task's id as in its directory name, e.g. ``"0_1"``.
        application_id: The ``application.id``.
        partition: The task's partition; changelog records go to this partition.
        state_dir: The task directory ``<state.dir>/<application.id>/<task id>``; a
            persistent store lives in ``<state_dir>/rocksdb/<store name>``.
        changelog_topic: The store's changelog topic, or None when logging is disabled.
        collector: Where changelog records are sent (``send_changelog``); needed when logged.
        request_commit: Asks the task to commit soon (called when the write buffer is full).
        cache_max_bytes: The memory budget of a store used without ``thread_cache``.
        thread_cache: The budget the stream thread's record caches and write buffers
            share (``statestore.cache.max.bytes``, see :mod:`kstreams.state.thread_cache`);
            None: the store gets a budget of its own of ``cache_max_bytes``.
        record_timestamp: Returns the timestamp of the record being processed; the
            changelog records of plain stores (and deletes of timestamped stores) carry
            it, as in Kafka Streams. None: wall-clock time.
        default_key_serde: The serde of keys for stores built without one
            (``default.key.serde``).
        default_value_serde: The serde of values for stores built without one
            (``default.value.serde``).
        record_context: The task's record context (``timestamp``, ``headers``, ``topic``,
            ``partition``, ``offset`` of the record being processed): the record cache
            keeps it with each dirty key and restores it when it forwards the key.
        metrics: The task's counters (``dropped_records``): a window or session store
            counts there the writes it drops as expired, as Kafka Streams' stores record
            them in ``dropped-records-total``. None: not counted.

    Example::

        ctx = StateStoreContext("0_1", "my-app", 1, "/tmp/kafka-streams/my-app/0_1",
                                changelog_topic="my-app-counts-changelog", collector=collector)
        store.init(ctx)
    """

    task_id: str
    application_id: str
    partition: int
    state_dir: str
    changelog_topic: str | None = None
    collector: ChangelogCollector | None = None
    request_commit: Callable[[], None] = field(default=_no_commit)
    cache_max_bytes: int = DEFAULT_CACHE_MAX_BYTES
    thread_cache: Any = None
    record_timestamp: Callable[[], int] | None = None
    default_key_serde: Any = None
    default_value_serde: Any = None
    record_context: Any = None
    metrics: Any = None
