"""The Processor API: the interface user processors implement (Java: ``processor.api.Processor``).

Example -- a processor that counts records per key in a store::

    class Counter(Processor):
        def init(self, context):
            self.context = context
            self.store = context.get_state_store("counts")

        def process(self, record):
            n = (self.store.get(record.key) or 0) + 1
            self.store.put(record.key, n)
            self.context.forward(record.with_value(n))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kstreams.processor.context import ProcessorContext
    from kstreams.processor.record import Record


class Processor:
    """A node of the topology that receives records one at a time.

    Override :meth:`process`; :meth:`init` receives the :class:`ProcessorContext`
    used to forward records, schedule punctuations and reach state stores.
    """

    context: ProcessorContext

    def init(self, context: ProcessorContext) -> None:
        """Called once before the first record; keeps the context by default."""
        self.context = context

    def process(self, record: Record) -> None:  # pragma: no cover - abstract
        """Handle one record."""
        raise NotImplementedError(f"{type(self).__name__} must implement process(record)")

    def close(self) -> None:
        """Called when the task closes; release resources here."""


class FixedKeyProcessor(Processor):
    """A processor that may change values but never keys (Java: ``FixedKeyProcessor``).

    Used by ``KStream.process_values``; the runtime checks that forwarded
    records keep the input key.
    """


ProcessorSupplier = Callable[[], Any]
"""A zero-argument callable that returns a new processor for each task (Java: ``ProcessorSupplier``)."""
