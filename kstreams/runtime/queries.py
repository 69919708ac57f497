"""Interactive queries: read a store across every task of this instance (Java: ``KafkaStreams.store``).

A read answers only from a complete, running set of the store's local tasks; otherwise it
raises one of the :class:`~kstreams.state.errors.InvalidStateStoreError` family saying why
(not started, rebalancing or restoring, migrated, stopped) instead of answering None.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from kstreams.runtime.task_manager import TaskState
from kstreams.serde import Serde
from kstreams.state import TimestampedKeyValueStore
from kstreams.state.errors import (
    InvalidStateStoreError,
    InvalidStateStorePartitionError,
    StateStoreMigratedError,
    StreamsNotStartedError,
    StreamsRebalancingError,
    StreamsStoppedError,
)

_STALE_TASK_STATES = (TaskState.RESTORING, TaskState.RUNNING, TaskState.SUSPENDED)
_DEAD_THREAD_STATES = ("CREATED", "DEAD")
_RETRIES = 3


@dataclass(frozen=True)
class StoreQueryParameters:
    """What ``KafkaStreams.store()`` queries (Java: ``StoreQueryParameters``).

    Example::

        params = StoreQueryParameters.from_name_and_type("counts").enable_stale_stores()
        view = streams.store(params)

    ``partition``: only that partition's task (None: every local task of the store).
    ``stale_stores``: also answer from tasks that are restoring or suspended, from standby
    tasks (``num.standby.replicas``), and while a rebalance is under way; such answers may
    be behind the changelog.
    """

    store_name: str
    partition: int | None = None
    stale_stores: bool = False

    @classmethod
    def from_name_and_type(
        cls, store_name: str, queryable_store_type: Any = None
    ) -> StoreQueryParameters:
        """Parameters for ``store_name`` (the type is accepted for Java's spelling; key-value only)."""
        return cls(store_name)

    def with_partition(self, partition: int | None) -> StoreQueryParameters:
        """Query only the task of ``partition`` (None: all local tasks)."""
        return replace(self, partition=partition)

    def enable_stale_stores(self) -> StoreQueryParameters:
        """Also answer from restoring / suspended / standby tasks and during rebalances (may
        be stale)."""
        return replace(self, stale_stores=True)

    def stale_stores_enabled(self) -> bool:
        """Whether stale stores may answer."""
        return self.stale_stores


class LocalStores:
    """The local tasks' instances of one store that may answer a read (the base of the views).

    Every read first checks the client, the stream threads and the tasks of the store's
    sub-topology on this instance (as Kafka Streams' ``StreamThreadStateStoreProvider``
    does for each read): unless stale stores are enabled, each thread must be RUNNING and
    every partition of the sub-topology it was assigned must have a RUNNING task; a task
    that is created, restoring or suspended makes the read raise
    :class:`~kstreams.state.errors.StreamsRebalancingError`.

    Args:
        params: What to query.
        client_state: The client's state name (``KafkaStreams.state.value``).
        threads: The client's stream threads.
        subtopology: The id of the sub-topology that has the store (None: none has it).
        source_topics: That sub-topology's source topics (resolved names).
    """

    def __init__(
        self,
        params: StoreQueryParameters | str,
        client_state: Callable[[], str] | None = None,
        threads: Callable[[], list[Any]] | None = None,
        subtopology: int | None = None,
        source_topics: frozenset[str] = frozenset(),
    ) -> None:
        if isinstance(params, str):
            params = StoreQueryParameters(params)
        self.params = params
        self.name = params.store_name
        self._client_state = client_state or (lambda: "RUNNING")
        self._threads = threads or (lambda: [])
        self._subtopology = subtopology
        self._topics = source_topics

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"

    # -- which stores may answer ---------------------------------------------------------------
    def _stores(self) -> list[Any]:
        """The stores that answer a read now; raises if they would be a partial or stale set."""
        name = self.name
        state = self._client_state()
        if state == "CREATED":
            raise StreamsNotStartedError(
                f"KafkaStreams has not been started: store {name!r} cannot be queried; "
                "retry after calling start()"
            )
        if state not in ("RUNNING", "REBALANCING"):
            raise StreamsStoppedError(
                f"KafkaStreams is {state}: store {name!r} cannot be queried on this instance "
                "any more; query another instance"
            )
        stale = self.params.stale_stores
        partition = self.params.partition
        out: list[Any] = []
        for thread in self._threads():
            thread_state = thread.thread_state
            if thread_state in _DEAD_THREAD_STATES:
                continue
            if not stale and thread_state != "RUNNING":
                raise StreamsRebalancingError(
                    f"Cannot query store {name!r}: stream thread {thread.client_id} is "
                    f"{thread_state}, not RUNNING (client {state}: a rebalance is under way); "
                    "retry once it is RUNNING, or enable stale stores"
                )
            out.extend(self._thread_stores(thread, stale, partition))
            if partition is not None and out:
                break
        if not out:
            if partition is not None:
                raise InvalidStateStorePartitionError(
                    f"The specified partition {partition} for store {name!r} does not exist on "
                    "this instance (its task runs elsewhere or not yet)"
                )
            raise StateStoreMigratedError(
                f"No task of this instance hosts store {name!r} (client {state}): it may have "
                "migrated to another instance; find where it is now and retry there"
            )
        return out

    def _thread_stores(self, thread: Any, stale: bool, partition: int | None) -> list[Any]:
        name, sub = self.name, self._subtopology
        entries, assignment = thread.task_manager.snapshot()
        stores: list[Any] = []
        hosted: set[int] = set()
        for task_id, task_state, task in entries:
            if task_id.subtopology != sub or (
                partition is not None and task_id.partition != partition
            ):
                continue
            hosted.add(task_id.partition)
            if task_state is TaskState.RUNNING or (stale and task_state in _STALE_TASK_STATES):
                store = task.stores.stores.get(name)
                if store is not None:
                    stores.append(store)
            elif not stale:
                raise StreamsRebalancingError(
                    f"Cannot query store {name!r}: its task {task_id} on stream thread "
                    f"{thread.client_id} is {task_state.value}, not RUNNING; retry once it "
                    "runs, or enable stale stores"
                )
        if stale:  # standby tasks answer stale reads only (as Kafka Streams' standby stores)
            for task_id, standby in thread.task_manager.standby_tasks().items():
                if task_id.subtopology != sub or task_id.partition in hosted:
                    continue
                if partition is not None and task_id.partition != partition:
                    continue
                store = standby.stores.stores.get(name)
                if store is not None:
                    stores.append(store)
        else:
            waiting = sorted(
                f"{t}-{p}"
                for t, p in assignment
                if t in self._topics and p not in hosted and partition in (None, p)
            )
            if waiting:
                raise StreamsRebalancingError(
                    f"Cannot query store {name!r}: partitions {', '.join(waiting)} are "
                    f"assigned to stream thread {thread.client_id} but their task does not run "
                    "yet; retry once it runs, or enable stale stores"
                )
        return stores

    def _migrated(self, exc: InvalidStateStoreError) -> InvalidStateStoreError:
        if type(exc) is not InvalidStateStoreError:
            return exc  # already says why
        return StateStoreMigratedError(
            f"Store {self.name!r} was closed while it was read ({exc}): its task may have "
            "migrated to another instance; find where it is now and retry"
        )

    def _checked(
        self, stores: list[Any], it: Iterator[tuple[Any, Any]]
    ) -> Iterator[tuple[Any, Any]]:
        # a store closed mid-iteration ends its iterator early: say so rather than stop short
        try:
            yield from it
        except InvalidStateStoreError as exc:
            raise self._migrated(exc) from exc
        if not _same(stores, self._stores()) or not all(_is_open(s) for s in stores):
            raise StateStoreMigratedError(
                f"Store {self.name!r}: its tasks on this instance changed while it was "
                "iterated (the result may be incomplete); retry"
            )

    def _first(self, read: Callable[[Any], Any]) -> Any:
        """The first non-None answer of ``read(store)`` over the stores (a key lives in one
        partition); None only when the same running set of tasks was there before and after."""
        for _ in range(_RETRIES):
            stores = self._stores()
            try:
                for store in stores:
                    value = read(store)
                    if value is not None:
                        return value
            except InvalidStateStoreError as exc:
                raise self._migrated(exc) from exc
            if _same(stores, self._stores()):
                return None
        raise StreamsRebalancingError(
            f"Cannot query store {self.name!r}: its tasks on this instance kept changing "
            "during the read; retry"
        )


class ReadOnlyCompositeStore(LocalStores):
    """A read-only key-value view over the local tasks' instances of one store.

    Reads answer from a complete, running set of the store's local tasks (see
    :class:`LocalStores`). Each key lives in exactly one partition, so ``get`` asks each
    task's store until one has it; ``all`` and ``range`` merge the tasks' ordered iterators
    by serialized key. Timestamped stores answer with plain values, like Java's
    ``QueryableStoreTypes.keyValueStore()``.
    """

    @staticmethod
    def _plain(store: Any, value: Any) -> Any:
        if value is not None and isinstance(store, TimestampedKeyValueStore):
            return value.value
        return value

    # -- reads ---------------------------------------------------------------------------------
    def get(self, key: Any) -> Any:
        """The value of ``key`` on this instance, or None if no local task has it.

        None only when the same running set of tasks was there before and after the read.
        """
        for _ in range(_RETRIES):
            stores = self._stores()
            try:
                for store in stores:
                    value = store._get_concurrent(key)
                    if value is not None:
                        return self._plain(store, value)
            except InvalidStateStoreError as exc:
                raise self._migrated(exc) from exc
            if _same(stores, self._stores()):
                return None
        raise StreamsRebalancingError(
            f"Cannot query store {self.name!r}: its tasks on this instance kept changing "
            "during the read; retry"
        )

    def _merged(
        self, calls: Callable[[Any], Iterator[tuple[Any, Any]]], reverse: bool
    ) -> Iterator[tuple[Any, Any]]:
        stores = self._stores()
        try:
            iters = [(s, calls(s)) for s in stores]
        except InvalidStateStoreError as exc:
            raise self._migrated(exc) from exc

        def keyed(store: Any, it: Iterator[tuple[Any, Any]]) -> Iterator[tuple[bytes, Any, Any]]:
            ser = store.key_serde.serialize
            topic = store.changelog_topic or store.name
            for k, v in it:
                yield ser(topic, k), k, self._plain(store, v)

        merged = heapq.merge(
            *(keyed(s, it) for s, it in iters), key=lambda t: t[0], reverse=reverse
        )
        return self._checked(stores, ((k, v) for _, k, v in merged))

    def range(self, from_key: Any = None, to_key: Any = None) -> Iterator[tuple[Any, Any]]:
        """Entries from ``from_key`` to ``to_key`` (inclusive) in serialized-key order."""
        return self._merged(lambda s: s._range(from_key, to_key, False, True), False)

    def reverse_range(self, from_key: Any = None, to_key: Any = None) -> Iterator[tuple[Any, Any]]:
        """:meth:`range` backwards."""
        return self._merged(lambda s: s._range(from_key, to_key, True, True), True)

    def all(self) -> Iterator[tuple[Any, Any]]:
        """Every entry on this instance, in serialized-key order."""
        return self._merged(lambda s: s._range(None, None, False, True), False)

    def reverse_all(self) -> Iterator[tuple[Any, Any]]:
        """Every entry, backwards."""
        return self._merged(lambda s: s._range(None, None, True, True), True)

    def prefix_scan(self, prefix: Any, prefix_key_serde: Serde[Any]) -> Iterator[tuple[Any, Any]]:
        """Entries whose serialized key starts with the serialized ``prefix``."""
        return self._merged(lambda s: s._prefix_scan(prefix, prefix_key_serde, True), False)

    def approximate_num_entries(self) -> int:
        """About how many entries this instance holds."""
        stores = self._stores()
        try:
            return sum(s.approximate_num_entries() for s in stores)
        except InvalidStateStoreError as exc:
            raise self._migrated(exc) from exc


def _same(a: list[Any], b: list[Any]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _is_open(store: Any) -> bool:
    is_open = getattr(store, "is_open", None)
    return True if is_open is None else bool(is_open())
