"""The DSL's stateless operators, each compiled into one small closure.

Functions get ``(key, value)`` as in Java's ``KeyValueMapper``/``Predicate``;
value-only mappers get the value. Wherever a function returns a pair or a
list of pairs, plain ``(key, value)`` tuples and :class:`KeyValue` both work.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from kstreams.errors import StreamsError
from kstreams.processor.compiled import CompiledProcessor
from kstreams.processor.context import Forward, ProcessorContext
from kstreams.processor.fused import Step, fuse
from kstreams.serde.base import Headers


class FilterProcessor(CompiledProcessor):
    """Forwards records for which ``predicate(key, value)`` is true (false when ``negate``)."""

    def __init__(self, predicate: Callable[[Any, Any], bool], negate: bool = False) -> None:
        self.predicate = predicate
        self.negate = negate

    def compile(self, context: ProcessorContext) -> Forward:
        code = (
            "if not pred(key, value):\n    $forward"
            if self.negate
            else "if pred(key, value):\n    $forward"
        )
        return fuse(Step(context.node_name, code, {"pred": self.predicate}), context.forward_fn)


def _pair(result: Any, node: str) -> tuple[Any, Any]:
    try:
        key, value = result
    except (TypeError, ValueError):
        raise StreamsError(
            f"{node}: the mapper must return a (key, value) pair, got {result!r}"
        ) from None
    return key, value


class MapProcessor(CompiledProcessor):
    """Replaces each record by ``mapper(key, value) -> (new_key, new_value)``."""

    def __init__(self, mapper: Callable[[Any, Any], Any]) -> None:
        self.mapper = mapper

    def compile(self, context: ProcessorContext) -> Forward:
        code = """\
result = mapper(key, value)
try:
    new_key, new_value = result
except (TypeError, ValueError):
    new_key, new_value = pair(result, node)
$forward
"""
        bindings = {"mapper": self.mapper, "pair": _pair, "node": context.node_name}
        step = Step(context.node_name, code, bindings, True, True, ("result",))
        return fuse(step, context.forward_fn)


class SelectKeyProcessor(CompiledProcessor):
    """Sets the key to ``selector(key, value)``."""

    def __init__(self, selector: Callable[[Any, Any], Any]) -> None:
        self.selector = selector

    def compile(self, context: ProcessorContext) -> Forward:
        code = "new_key = selector(key, value)\n$forward"
        step = Step(context.node_name, code, {"selector": self.selector}, changes_key=True)
        return fuse(step, context.forward_fn)


class MapValuesProcessor(CompiledProcessor):
    """Replaces the value by ``mapper(value)`` or, with ``with_key``, ``mapper(key, value)``."""

    def __init__(self, mapper: Callable[..., Any], with_key: bool = False) -> None:
        self.mapper = mapper
        self.with_key = with_key

    def compile(self, context: ProcessorContext) -> Forward:
        args = "key, value" if self.with_key else "value"
        code = f"new_value = mapper({args})\n$forward"
        step = Step(context.node_name, code, {"mapper": self.mapper}, changes_value=True)
        return fuse(step, context.forward_fn)


class FlatMapProcessor(CompiledProcessor):
    """Replaces each record by the pairs of ``mapper(key, value)`` (any iterable of pairs)."""

    def __init__(self, mapper: Callable[[Any, Any], Iterable[Any]]) -> None:
        self.mapper = mapper

    def compile(self, context: ProcessorContext) -> Forward:
        code = """\
for item in mapper(key, value):
    new_key, new_value = pair(item, node)
    $forward
"""
        bindings = {"mapper": self.mapper, "pair": _pair, "node": context.node_name}
        step = Step(context.node_name, code, bindings, True, True, ("item",))
        return fuse(step, context.forward_fn)


class FlatMapValuesProcessor(CompiledProcessor):
    """Replaces each record by one record per value of ``mapper(value)`` (or ``mapper(key, value)``)."""

    def __init__(self, mapper: Callable[..., Iterable[Any]], with_key: bool = False) -> None:
        self.mapper = mapper
        self.with_key = with_key

    def compile(self, context: ProcessorContext) -> Forward:
        args = "key, value" if self.with_key else "value"
        code = f"for new_value in mapper({args}):\n    $forward"
        step = Step(context.node_name, code, {"mapper": self.mapper}, changes_value=True)
        return fuse(step, context.forward_fn)


class PeekProcessor(CompiledProcessor):
    """Calls ``action(key, value)`` and forwards the record unchanged."""

    def __init__(self, action: Callable[[Any, Any], None]) -> None:
        self.action = action

    def compile(self, context: ProcessorContext) -> Forward:
        code = "action(key, value)\n$forward"
        return fuse(Step(context.node_name, code, {"action": self.action}), context.forward_fn)


class ForeachProcessor(CompiledProcessor):
    """Calls ``action(key, value)``; a terminal node."""

    def __init__(self, action: Callable[[Any, Any], None]) -> None:
        self.action = action

    def compile(self, context: ProcessorContext) -> Forward:
        action = self.action

        def foreach(key: Any, value: Any, ts: int, headers: Headers) -> None:
            action(key, value)

        return foreach


class PrintProcessor(CompiledProcessor):
    """Writes ``[label]: key, value`` lines (Java's ``Printed`` format) to a stream or file."""

    def __init__(
        self,
        label: str,
        mapper: Callable[[Any, Any], str] | None = None,
        file_path: str | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self.label = label
        self.mapper = mapper
        self.file_path = file_path
        self.stream = stream
        self._file: TextIO | None = None

    def compile(self, context: ProcessorContext) -> Forward:
        if self.file_path is not None:
            self._file = open(self.file_path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
            out = self._file
        else:
            out = self.stream or sys.stdout
        label = self.label
        mapper = self.mapper or (lambda k, v: f"{k}, {v}")

        def print_(key: Any, value: Any, ts: int, headers: Headers) -> None:
            out.write(f"[{label}]: {mapper(key, value)}\n")
            out.flush()

        return print_

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class BranchProcessor(CompiledProcessor):
    """Sends each record to the first branch whose predicate holds, else to the default branch."""

    def __init__(self) -> None:
        self.predicates: list[Callable[[Any, Any], bool]] = []
        self.children: list[str] = []
        self.default_child: str | None = None

    def add_branch(self, predicate: Callable[[Any, Any], bool], child: str) -> None:
        """Route records matching ``predicate`` to the node ``child``."""
        self.predicates.append(predicate)
        self.children.append(child)

    def compile(self, context: ProcessorContext) -> Forward:
        routes = tuple(zip(self.predicates, [context.child(c) for c in self.children], strict=True))
        default = context.child(self.default_child) if self.default_child is not None else None

        def branch(key: Any, value: Any, ts: int, headers: Headers) -> None:
            for pred, fn in routes:
                if pred(key, value):
                    fn(key, value, ts, headers)
                    return
            if default is not None:
                default(key, value, ts, headers)

        return branch


class PassThroughProcessor(CompiledProcessor):
    """Forwards every record unchanged (used for merge and named branch children)."""

    def compile(self, context: ProcessorContext) -> Forward:
        return context.forward_fn
