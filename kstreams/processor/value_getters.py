"""KTable value getters: how a join reads a table's current value for a key (Java: ``KTableValueGetter``).

A materialized table is read from its store; a table that is not (an unmaterialized
``filter`` / ``map_values``) computes the value through its parents, as Kafka Streams does,
so a join adds no store Kafka Streams would not add. A :class:`ValueGetterSupplier` names
the stores its getters read (they are connected to the joining processor) and makes one
:class:`ValueGetter` per task; the getter is initialised with the joining processor's
context. A getter over a versioned store answers "as of" a timestamp too (KIP-889/914).

Example::

    supplier = table._value_getter_supplier()       # in the DSL, while the join is recorded
    ...
    getter = supplier.get()                         # in the processor, once per task
    getter.init(context)
    current = getter.get("alice")                   # ValueAndTimestamp or None
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from kstreams.errors import StreamsError
from kstreams.state.value_and_timestamp import ValueAndTimestamp

if TYPE_CHECKING:
    from kstreams.processor.context import ProcessorContext

UNKNOWN_TIMESTAMP = -1
"""The timestamp of a value whose record time is not known (Java's ``RecordQueue.UNKNOWN``)."""


@runtime_checkable
class ValueGetter(Protocol):
    """Reads one table's value for a key, in one task (Java: ``KTableValueGetter``)."""

    def init(self, context: ProcessorContext) -> None:
        """Bind to the stores of ``context`` (the joining processor's)."""

    def get(self, key: Any) -> ValueAndTimestamp | None:
        """The key's current value and its timestamp, or None if the table has no such row."""

    def get_as_of(self, key: Any, timestamp: int) -> ValueAndTimestamp | None:
        """The key's value as of ``timestamp`` (versioned tables only)."""

    def is_versioned(self) -> bool:
        """Whether :meth:`get_as_of` is supported (the table is read from a versioned store)."""

    def close(self) -> None:
        """Release what :meth:`init` took."""


@runtime_checkable
class ValueGetterSupplier(Protocol):
    """Makes the value getters of one table (Java: ``KTableValueGetterSupplier``)."""

    def get(self) -> ValueGetter:
        """A new getter (one per task)."""

    def store_names(self) -> tuple[str, ...]:
        """The stores the getters read: connect them to the processor that uses the getters."""


def is_versioned_store(store: Any) -> bool:
    """Whether ``store`` is a versioned key-value store (``get(key, as_of_timestamp)``)."""
    from kstreams.state import VersionedKeyValueStore

    return isinstance(store, VersionedKeyValueStore)


def is_versioned_store_builder(builder: Any) -> bool:
    """Whether a ``StoreBuilder`` builds versioned key-value stores."""
    from kstreams.state import VersionedKeyValueStoreBuilder

    return isinstance(builder, VersionedKeyValueStoreBuilder)


def history_retention_of(builder: Any) -> int | None:
    """The history retention (ms) of a versioned store's builder; None for other builders."""
    if not is_versioned_store_builder(builder):
        return None
    return int(builder.supplier.history_retention_ms)


def _not_versioned(what: str) -> StreamsError:
    return StreamsError(
        f"get(key, timestamp) is only supported for versioned stores; {what} is not versioned "
        "(materialize the table with Stores.persistent_versioned_key_value_store)"
    )


# -- a table read from its own store ---------------------------------------------------------


class _StoreValueGetter:
    """Reads a materialized table's store: key-value, timestamped, versioned, window or session."""

    __slots__ = ("_name", "_read", "_read_as_of", "_versioned")

    def __init__(self, store_name: str) -> None:
        self._name = store_name
        self._versioned = False
        self._read: Callable[[Any], ValueAndTimestamp | None] = self._unopened
        self._read_as_of: Callable[[Any, int], ValueAndTimestamp | None] | None = None

    def _unopened(self, key: Any) -> ValueAndTimestamp | None:
        raise StreamsError(f"the value getter of store {self._name} is used before init()")

    def init(self, context: ProcessorContext) -> None:
        store = context.get_state_store(self._name)
        if is_versioned_store(store):
            self._versioned = True
            get_versioned = store.get

            def versioned(key: Any) -> ValueAndTimestamp | None:
                record = get_versioned(key)
                return None if record is None else ValueAndTimestamp(record.value, record.timestamp)

            def versioned_as_of(key: Any, ts: int) -> ValueAndTimestamp | None:
                record = get_versioned(key, ts)
                return None if record is None else ValueAndTimestamp(record.value, record.timestamp)

            self._read, self._read_as_of = versioned, versioned_as_of
            return
        if hasattr(store, "fetch_session"):
            fetch_session = store.fetch_session

            def session(key: Any) -> ValueAndTimestamp | None:
                window = key.window
                value = fetch_session(key.key, window.start, window.end)
                # Java's session getter: the session's end as the timestamp
                return None if value is None else ValueAndTimestamp(value, window.end)

            self._read = session
            return
        if hasattr(store, "window_size"):
            fetch = store.fetch

            def windowed(key: Any) -> ValueAndTimestamp | None:
                found = fetch(key.key, key.window.start)
                if found is None or type(found) is ValueAndTimestamp:
                    return found
                return ValueAndTimestamp(found, UNKNOWN_TIMESTAMP)  # a plain window store

            self._read = windowed
            return
        get = store.get

        def key_value(key: Any) -> ValueAndTimestamp | None:
            found = get(key)
            if found is None or isinstance(found, ValueAndTimestamp):
                return found  # type: ignore[no-any-return]
            return ValueAndTimestamp(found, UNKNOWN_TIMESTAMP)  # a plain key-value store

        self._read = key_value

    def get(self, key: Any) -> ValueAndTimestamp | None:
        return self._read(key)

    def get_as_of(self, key: Any, timestamp: int) -> ValueAndTimestamp | None:
        if self._read_as_of is None:
            raise _not_versioned(f"store {self._name}")
        return self._read_as_of(key, timestamp)

    def is_versioned(self) -> bool:
        return self._versioned

    def close(self) -> None:
        self._read = self._unopened
        self._read_as_of = None


class StoreValueGetterSupplier:
    """Getters that read a table's own store (Java: ``KTableSourceValueGetterSupplier``,
    ``KTableMaterializedValueGetterSupplier``, and the windowed aggregations' getters).

    The store's kind is seen when the getter opens it: a key-value or timestamped store is
    read with ``get``; a versioned one with ``get`` and ``get(key, as_of)``; a window store
    (keys ``Windowed``) with ``fetch(key, window start)``; a session store with
    ``fetch_session(key, start, end)``, the session end as the timestamp (as Java's).
    """

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name

    def get(self) -> ValueGetter:
        return _StoreValueGetter(self.store_name)

    def store_names(self) -> tuple[str, ...]:
        return (self.store_name,)

    def __repr__(self) -> str:
        return f"StoreValueGetterSupplier({self.store_name!r})"


# -- tables computed from their parent ---------------------------------------------------------


class _DerivedGetter:
    """A getter that computes its value from the parent getter's (filter, map_values)."""

    __slots__ = ("_compute", "_parent")

    def __init__(
        self, parent: ValueGetter, compute: Callable[[Any, ValueAndTimestamp | None], Any]
    ) -> None:
        self._parent = parent
        self._compute = compute

    def init(self, context: ProcessorContext) -> None:
        self._parent.init(context)

    def get(self, key: Any) -> ValueAndTimestamp | None:
        return self._compute(key, self._parent.get(key))  # type: ignore[no-any-return]

    def get_as_of(self, key: Any, timestamp: int) -> ValueAndTimestamp | None:
        return self._compute(key, self._parent.get_as_of(key, timestamp))  # type: ignore[no-any-return]

    def is_versioned(self) -> bool:
        return self._parent.is_versioned()

    def close(self) -> None:
        self._parent.close()


class FilterValueGetterSupplier:
    """An unmaterialized ``KTable.filter`` / ``filter_not``: the parent's value if it passes,
    else None (Java: ``KTableFilter.KTableFilterValueGetter``)."""

    def __init__(
        self, parent: ValueGetterSupplier, predicate: Callable[[Any, Any], Any], negate: bool
    ) -> None:
        self.parent = parent
        self.predicate = predicate
        self.negate = negate

    def get(self) -> ValueGetter:
        predicate, negate = self.predicate, self.negate

        def compute(key: Any, found: ValueAndTimestamp | None) -> ValueAndTimestamp | None:
            if found is None:
                return None
            return found if bool(predicate(key, found.value)) is not negate else None

        return _DerivedGetter(self.parent.get(), compute)

    def store_names(self) -> tuple[str, ...]:
        return self.parent.store_names()


class MapValuesValueGetterSupplier:
    """An unmaterialized ``KTable.map_values``: the parent's value mapped, with its timestamp
    (Java: ``KTableMapValues.KTableMapValuesValueGetter``); a mapper returning None reads as
    no row."""

    def __init__(
        self, parent: ValueGetterSupplier, mapper: Callable[..., Any], with_key: bool
    ) -> None:
        self.parent = parent
        self.mapper = mapper
        self.with_key = with_key

    def get(self) -> ValueGetter:
        mapper, with_key = self.mapper, self.with_key

        def compute(key: Any, found: ValueAndTimestamp | None) -> ValueAndTimestamp | None:
            if found is None:
                return None
            value = mapper(key, found.value) if with_key else mapper(found.value)
            return None if value is None else ValueAndTimestamp(value, found.timestamp)

        return _DerivedGetter(self.parent.get(), compute)

    def store_names(self) -> tuple[str, ...]:
        return self.parent.store_names()


class _SuppressGetter:
    __slots__ = ("_buffer", "_buffer_name", "_parent")

    def __init__(self, parent: ValueGetter, buffer_name: str) -> None:
        self._parent = parent
        self._buffer_name = buffer_name
        self._buffer: Any = None

    def init(self, context: ProcessorContext) -> None:
        self._parent.init(context)
        self._buffer = context.get_state_store(self._buffer_name)

    def get(self, key: Any) -> ValueAndTimestamp | None:
        buffered, prior = self._buffer.prior_value_for_buffered(key)
        if buffered:
            # what the suppressed table still shows: the value before the buffered updates
            return ValueAndTimestamp.make(prior, UNKNOWN_TIMESTAMP)
        return self._parent.get(key)

    def get_as_of(self, key: Any, timestamp: int) -> ValueAndTimestamp | None:
        raise _not_versioned("a suppressed table")

    def is_versioned(self) -> bool:
        return False

    def close(self) -> None:
        self._parent.close()
        self._buffer = None


class SuppressValueGetterSupplier:
    """A suppressed table: for a key with buffered updates, the value the suppressed table
    still shows (the buffer's prior value), else the parent's (Java:
    ``KTableSuppressProcessorSupplier.view``). Its stores: the buffer, then the parent's."""

    def __init__(self, parent: ValueGetterSupplier, buffer_store: str) -> None:
        self.parent = parent
        self.buffer_store = buffer_store

    def get(self) -> ValueGetter:
        return _SuppressGetter(self.parent.get(), self.buffer_store)

    def store_names(self) -> tuple[str, ...]:
        return (self.buffer_store, *self.parent.store_names())
