"""The state stores of one task: made, opened, committed and closed together.

Commit protocol (the task's part of it):

1. :meth:`TaskStores.flush_changelog` -- the record caches flush (forwarding their
   dirty keys downstream), then every store sends its buffered changes (latest
   value per key) to its changelog partition;
2. the producer is flushed (or the transaction committed) by the stream thread;
3. :meth:`TaskStores.commit` -- every store applies its buffer to disk in one
   WriteBatch together with the offset its changelog reached.

So a store never shows on disk what its changelog does not have. A source table built
with ``topology.optimization=all`` has its source topic as changelog (Kafka Streams'
source-topic changelog): it sends nothing, and the offset it reaches is the input
offset committed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from kstreams.errors import IllegalStateError, StreamsError
from kstreams.processor.context import TaskContext
from kstreams.processor.task_id import TaskId
from kstreams.serde.base import Headers, as_serde
from kstreams.serde.windowed import WindowedSerde
from kstreams.state.caching import ThreadCache, cached_store
from kstreams.state.record_cache import RecordCache
from kstreams.topology.nodes import Subtopology
from kstreams.topology.topology import Topology

log = logging.getLogger("kstreams")


class _SourceTopicChangelog:
    """The collector of a store whose changelog is its source topic: the records are already
    there, so the store's changelog records are dropped."""

    def send_changelog(
        self,
        topic: str,
        key: bytes,
        value: bytes | None,
        timestamp: int,
        partition: int,
        headers: Headers = None,
    ) -> None:
        return None


_SOURCE_TOPIC_CHANGELOG = _SourceTopicChangelog()


class ChangelogTarget:
    """Where a task's stores send their changelog records: the active task's collector, or
    nowhere while they serve a standby task (a standby never writes).

    The stores keep this object for their whole life; a change of role (a standby promoted,
    an active task recycled into a standby) only repoints it. Pointed, its ``send_changelog``
    is the collector's own bound method in the instance dict: no extra call per record.
    """

    def __init__(self, collector: Any = None) -> None:
        if collector is not None:
            self.point(collector)

    def send_changelog(
        self,
        topic: str,
        key: bytes,
        value: bytes | None,
        timestamp: int,
        partition: int,
        headers: Headers = None,
    ) -> None:
        raise IllegalStateError(
            f"A store wrote to changelog {topic} while its task is a standby (or its task's "
            "record collector sends no changelog records): a standby never writes"
        )

    def point(self, collector: Any) -> None:
        """Send to ``collector`` from now on (one without ``send_changelog``: refused)."""
        send = getattr(collector, "send_changelog", None)
        if send is None:
            self.refuse()
            return
        self.send_changelog = send  # type: ignore[method-assign]
        send_all = getattr(collector, "send_changelogs", None)  # a flush's records in one call
        if send_all is None:
            self.__dict__.pop("send_changelogs", None)
        else:
            self.send_changelogs = send_all

    def refuse(self) -> None:
        """Refuse every write from now on (the stores serve a standby)."""
        self.__dict__.pop("send_changelog", None)
        self.__dict__.pop("send_changelogs", None)


CLEAN_CLOSE_MARKER = ".clean-close"
"""File in a task directory: the task was closed cleanly (exactly-once keeps its state)."""


def task_directory(config: Any, task_id: TaskId) -> str:
    """``<state.dir>/<application.id>/<task id>``, as in Kafka Streams."""
    return os.path.join(config.state_dir, config.application_id, str(task_id))


class TaskStores:
    """Creates the stores a sub-topology uses, for one task, and runs the commit protocol on them."""

    def __init__(
        self,
        task_id: TaskId,
        topology: Topology,
        subtopology: Subtopology,
        config: Any,
        collector: Any,
        request_commit: Callable[[], None],
        record_timestamp: Callable[[], int] | None = None,
        thread_cache: ThreadCache | None = None,
        record_context: Any = None,
    ) -> None:
        from kstreams.state import StateStoreContext

        self.task_id = task_id
        self.context: TaskContext | None = None
        """The task context the stores were opened with (:func:`open_task_stores`): it moves
        with them when they change role."""
        self.changelog_target: ChangelogTarget | None = None
        """Where the stores' changelog records go (:func:`open_task_stores`)."""
        self.stores: dict[str, Any] = {}
        self.unverified: set[str] = set()
        """Stores whose checkpoint restoration must check against the changelog first (an
        exactly-once task that was not closed cleanly)."""
        self.source_changelogs: set[str] = set()
        """Stores whose changelog is a source topic (restored up to the committed offset)."""
        self.exactly_once = bool(getattr(config, "exactly_once", False))
        names = topology.stores_of(subtopology)
        if not names:
            self.directory = None
            return
        self.directory = task_directory(config, task_id)
        os.makedirs(self.directory, exist_ok=True)
        app_id = config.application_id
        cache_bytes = int(config.get("statestore.cache.max.bytes") or 10 * 1024 * 1024)
        for name in names:
            builder = topology.state_stores[name]
            _apply_default_serdes(builder, config)
            store = builder.build()
            if getattr(builder, "caching_enabled", False):
                store = cached_store(store, thread_cache)
            changelog = topology.changelog_topic(name, app_id)
            store_collector = collector
            source_topic = topology.source_changelog_topic(name)
            if source_topic is not None:
                # the store tracks the source offset it reached as its changelog offset;
                # what it would log is already in the topic
                changelog = topology.resolve_topic(source_topic, app_id)
                store_collector = _SOURCE_TOPIC_CHANGELOG
                self.source_changelogs.add(name)
            context = StateStoreContext(
                task_id=str(task_id),
                application_id=app_id,
                partition=task_id.partition,
                state_dir=self.directory,
                changelog_topic=changelog,
                collector=store_collector,
                request_commit=request_commit,
                cache_max_bytes=cache_bytes,
                thread_cache=thread_cache,
                record_timestamp=record_timestamp,
                record_context=record_context,
                metrics=getattr(record_context, "metrics", None),
            )
            try:
                store.init(context)
            except StreamsError:
                self.close()
                raise
            self.stores[name] = store
        if self.exactly_once:
            self._verify_local_state_after_unclean_close()

    def _verify_local_state_after_unclean_close(self) -> None:
        # Kafka Streams under exactly-once wipes a task's stores unless it was closed cleanly,
        # since its stores may hold writes of a transaction that never committed. kstreams'
        # stores apply their writes only after the transaction committed (the write buffer),
        # so local state is never ahead of the changelog -- unless the broker lost or aborted
        # a transaction it had reported committed. After an unclean close each store's
        # checkpoint is therefore verified against the changelog before it is trusted
        # (restoration: the record at the checkpoint must be committed), and only a store
        # that fails the check is wiped and restored in full.
        assert self.directory is not None
        marker = os.path.join(self.directory, CLEAN_CLOSE_MARKER)
        if os.path.exists(marker):
            os.remove(marker)  # from now on the task may crash: the next start must not trust it
            return
        for name, store in self.stores.items():
            if store.persistent and store.changelog_topic is not None:
                offset = store.restore_offset()
                if offset is not None:
                    log.info(
                        "Task %s: no clean close recorded under exactly-once: store %s is "
                        "kept only if its checkpoint (changelog offset %d) is committed",
                        self.task_id,
                        name,
                        offset,
                    )
                    self.unverified.add(name)

    def logged(self) -> list[Any]:
        """Stores with a changelog (the ones restoration brings up to date)."""
        return [s for s in self.stores.values() if s.changelog_topic is not None]

    def is_source_changelog(self, store: Any) -> bool:
        """Whether ``store``'s changelog is a source topic of the task: restoration stops at
        the committed offset of that input partition, not at the log end."""
        return store.name in self.source_changelogs

    def flush_caches(self) -> None:
        """Flush the record caches (forwarding their dirty keys) until none is dirty.

        A cache's forwarded updates may land in a downstream store's cache of the
        same task, so this repeats until a round flushes nothing.
        """
        caches = [s for s in self.stores.values() if isinstance(s, RecordCache)]
        for _ in range(len(caches) + 1):
            if not any([cache.flush_cache() for cache in caches]):
                return
        raise StreamsError(
            f"Task {self.task_id}: the record caches kept getting dirty while flushing "
            "(a flush listener writing back into an upstream store?)"
        )

    def flush_changelog(self) -> None:
        """Step 1 of a commit: flush the record caches, then send buffered changes to the changelogs."""
        self.flush_caches()
        for store in self.stores.values():
            store.flush_changelog()

    def commit(
        self,
        changelog_offsets: Mapping[tuple[str, int], int],
        input_offsets: Mapping[tuple[str, int], int] | None = None,
    ) -> None:
        """Step 3 of a commit: apply the buffers to disk with the changelog offsets reached.

        ``input_offsets``: the offset of the last input record committed, per input
        partition: the offset a store whose changelog is its source topic reached. Without
        them such a store keeps the offset it had (its restoration reads more than needed).
        """
        partition = self.task_id.partition
        for name, store in self.stores.items():
            topic = store.changelog_topic
            if topic is None:
                offset = None
            elif name in self.source_changelogs:
                offset = None if input_offsets is None else input_offsets.get((topic, partition))
            else:
                offset = changelog_offsets.get((topic, partition))
            store.commit(offset)

    def abort(self) -> None:
        """Drop uncommitted changes (an aborted transaction)."""
        for store in self.stores.values():
            store.abort()

    def close(self, clean: bool = False) -> None:
        """Close every store (uncommitted changes are dropped).

        ``clean``: the task committed everything it processed; under exactly-once this is
        recorded in the task directory, so the next start keeps the local state.
        """
        errors = []
        for store in self.stores.values():
            try:
                store.close()
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise StreamsError(
                f"Task {self.task_id}: closing stores failed: {errors[0]}"
            ) from errors[0]
        if clean and self.stores and self.exactly_once:
            assert self.directory is not None
            with open(os.path.join(self.directory, CLEAN_CLOSE_MARKER), "w") as f:
                f.write("closed cleanly after a commit\n")


def open_task_stores(
    task_id: TaskId,
    topology: Topology,
    subtopology: Subtopology,
    config: Any,
    wall_clock: Callable[[], int],
    metrics: Any = None,
    thread_cache: ThreadCache | None = None,
    collector: Any = None,
) -> TaskStores:
    """A task's stores with the task context they report to, open for either role: an active
    task (``collector``: where their changelog records go) or a standby (None: writes are
    refused). Kafka Streams recycles a task's state manager the same way: the stores, their
    caches and their checkpoints survive a promotion or a demotion (see :func:`recycle`).
    """
    ctx = TaskContext(task_id, config.application_id, config, wall_clock)
    ctx.metrics = metrics
    target = ChangelogTarget(collector)

    def request_commit() -> None:
        ctx.commit_requested = True

    stores = TaskStores(
        task_id,
        topology,
        subtopology,
        config,
        target,
        request_commit,
        # changelog records carry the timestamp of the record being processed (Java)
        lambda: ctx.timestamp if ctx.timestamp >= 0 else wall_clock(),
        thread_cache,
        ctx,
    )
    ctx.stores = stores.stores
    ctx.state_dir = stores.directory
    stores.context = ctx
    stores.changelog_target = target
    return stores


def recycle(stores: TaskStores) -> TaskStores:
    """Make an active task's open stores a standby's: uncommitted writes dropped, the task
    context reset (a fresh one, the same object: the stores keep it) and writes refused."""
    stores.abort()
    ctx = stores.context
    if ctx is not None:
        metrics = ctx.metrics
        ctx.__init__(ctx.task_id, ctx.application_id, ctx.config, ctx.wall_clock)  # type: ignore[misc]
        ctx.metrics = metrics
        ctx.stores = stores.stores
        ctx.state_dir = stores.directory
    if stores.changelog_target is not None:
        stores.changelog_target.refuse()
    return stores


def _apply_default_serdes(builder: Any, config: Any) -> None:
    """Give a store builder the configured default serdes where it has none (as Kafka Streams does at init)."""
    if getattr(builder, "key_serde", "") is None:
        builder.key_serde = config.default_key_serde()
    elif hasattr(builder, "key_serde"):
        key_serde = as_serde(builder.key_serde)
        if isinstance(key_serde, WindowedSerde) and key_serde.inner is None:
            # a table of windowed keys whose grouping had no key serde: windows of the default
            key_serde = key_serde.with_inner(config.default_key_serde())
        builder.key_serde = key_serde
    if getattr(builder, "value_serde", "") is None:
        builder.value_serde = config.default_value_serde()
    elif hasattr(builder, "value_serde"):
        builder.value_serde = as_serde(builder.value_serde)
        resolve_defaults = getattr(builder.value_serde, "with_default_serdes", None)
        if resolve_defaults is not None:  # a wrapping serde (FK-join subscriptions)
            builder.value_serde = resolve_defaults(
                config.default_key_serde, config.default_value_serde
            )
