"""One layer of a store stack: :class:`WrappedStateStore` passes down what a layer leaves alone.

Each layer (record cache, metered store, change-logging, write buffer) wraps the one below
and reaches it only through that store's public interface (Java: ``WrappedStateStore``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from kstreams.state.api import ChangelogRecord, StateStore

if TYPE_CHECKING:
    from kstreams.state.context import StateStoreContext

_L = TypeVar("_L")


class WrappedStateStore(StateStore):
    """A store layer over ``wrapped``: identity, lifecycle and the commit protocol are passed down.

    A subclass overrides what its layer adds (the change-logging layer ``flush_changelog``
    and ``commit``, the record cache ``abort`` and ``close``...) and calls the wrapped store
    through its public methods.

    Example::

        class Counting(WrappedStateStore):
            def commit(self, changelog_offset):
                self.commits += 1
                self.wrapped.commit(changelog_offset)
    """

    def __init__(self, wrapped: Any) -> None:
        self._wrapped = wrapped

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._wrapped!r})"

    @property
    def wrapped(self) -> Any:
        """The store this layer wraps (Java: ``wrapped()``)."""
        return self._wrapped

    @property
    def inner(self) -> Any:
        """The innermost store of the stack: the engine (Java: ``inner()``)."""
        store = self._wrapped
        while isinstance(store, WrappedStateStore):
            store = store.wrapped
        return store

    # -- identity ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._wrapped.name  # type: ignore[no-any-return]

    @property
    def persistent(self) -> bool:
        return self._wrapped.persistent  # type: ignore[no-any-return]

    @property
    def logged(self) -> bool:
        return self._wrapped.logged  # type: ignore[no-any-return]

    @property
    def changelog_topic(self) -> str | None:
        return self._wrapped.changelog_topic  # type: ignore[no-any-return]

    # -- lifecycle and commit protocol ------------------------------------------------------
    def init(self, context: StateStoreContext) -> None:
        self._wrapped.init(context)

    def is_open(self) -> bool:
        return self._wrapped.is_open()  # type: ignore[no-any-return]

    def close(self) -> None:
        self._wrapped.close()

    def flush_changelog(self) -> bool:
        return self._wrapped.flush_changelog()  # type: ignore[no-any-return]

    def commit(self, changelog_offset: int | None) -> None:
        self._wrapped.commit(changelog_offset)

    def abort(self) -> None:
        self._wrapped.abort()

    def restore_offset(self) -> int | None:
        return self._wrapped.restore_offset()  # type: ignore[no-any-return]

    def restore_batch(self, records: list[ChangelogRecord], last_offset: int) -> None:
        self._wrapped.restore_batch(records, last_offset)

    def restore_writer(self) -> Any:
        """The store below's :class:`~kstreams.state.restore_writer.RestoreWriter` (bulk
        restoration), or None: restore with :meth:`restore_batch`. A layer with a
        ``restore_batch`` of its own (it changes restored records) has none unless it
        overrides this method too."""
        if type(self).restore_batch is not WrappedStateStore.restore_batch:
            return None
        below = getattr(self._wrapped, "restore_writer", None)
        return below() if below is not None else None

    def wipe(self) -> None:
        self._wrapped.wipe()


def find_layer(store: Any, kind: type[_L]) -> _L | None:
    """The first layer of ``store``'s stack, ``store`` itself included, that is a ``kind``.

    Example::

        buffer = find_layer(store, BufferedBytesStore)
        buffer.buffered_bytes()
    """
    while True:
        if isinstance(store, kind):
            return store
        if not isinstance(store, WrappedStateStore):
            return None
        store = store.wrapped
