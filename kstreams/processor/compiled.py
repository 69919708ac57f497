"""How a processor becomes a function on the per-record path.

Every node of a task is compiled once, when the task starts, into a plain
function ``fn(key, value, timestamp, headers)`` that calls its children's
functions directly (the idea of Quix Streams' closure graph): no Record object
and no dispatch per hop for the DSL's own operators.

* Built-in operators subclass :class:`CompiledProcessor` and return such a
  function from :meth:`CompiledProcessor.compile`.
* User :class:`~kstreams.processor.api.Processor` objects are adapted by
  :func:`compile_processor`: each record becomes a :class:`Record`.
"""

from __future__ import annotations

from typing import Any

from kstreams.errors import StreamsError
from kstreams.processor.api import FixedKeyProcessor, Processor
from kstreams.processor.context import Forward, ProcessorContext
from kstreams.processor.record import Record
from kstreams.serde.base import Headers


class CompiledProcessor:
    """A processor that compiles itself into a forward function (internal fast path)."""

    def compile(self, context: ProcessorContext) -> Forward:  # pragma: no cover - abstract
        """Return ``fn(key, value, timestamp, headers)`` that processes one record."""
        raise NotImplementedError

    def close(self) -> None:
        """Release resources when the task closes."""


_OUTSIDE_PROCESS: Any = object()
"""``input_key`` outside ``process()``: a punctuation may forward records it kept earlier."""


class _KeyCheckingContext(ProcessorContext):
    """A context for FixedKeyProcessors: forwarding a changed key is an error."""

    __slots__ = ("input_key",)

    def forward(self, record: Record, child: str | None = None) -> None:
        input_key = self.input_key
        if input_key is not _OUTSIDE_PROCESS and record.key != input_key:
            raise StreamsError(
                f"{self.node_name}: a FixedKeyProcessor must not change the key "
                f"(got {record.key!r}, expected {input_key!r})"
            )
        super().forward(record, child)


def compile_processor(processor: Any, context: ProcessorContext) -> Forward:
    """Compile a built-in or user processor for one node."""
    if isinstance(processor, CompiledProcessor):
        return processor.compile(context)
    if not isinstance(processor, Processor) and not hasattr(processor, "process"):
        raise StreamsError(
            f"{context.node_name}: the processor supplier returned {processor!r}, "
            "which is not a Processor"
        )
    if isinstance(processor, FixedKeyProcessor):
        checked = _KeyCheckingContext(
            context._task,
            context.node_name,
            context._children,
            context.stores,
            context.key_serde,
            context.value_serde,
        )
        checked.input_key = _OUTSIDE_PROCESS
        processor.init(checked)
        process = processor.process

        def run_fixed_key(key: Any, value: Any, ts: int, headers: Headers) -> None:
            checked.input_key = key
            try:
                process(Record(key, value, ts, headers))
            finally:
                checked.input_key = _OUTSIDE_PROCESS

        return run_fixed_key

    processor.init(context)
    process = processor.process

    def run(key: Any, value: Any, ts: int, headers: Headers) -> None:
        process(Record(key, value, ts, headers))

    return run
