"""Chains of single-child stateless nodes, fused into one generated function per chain.

Each stateless operator describes its per-record work once, as a :class:`Step`: a snippet
of Python over ``key``, ``value``, ``ts``, ``headers`` and its own bound names, with a
``$forward`` marker where the record goes on. :func:`fuse` makes the node's function from
its step and, when its only child is itself a fused chain, from the child's steps too: one
Python call for ``flat_map_values → select_key → drop null keys`` instead of one per node
(the word count's stage 1). The same text serves a node alone (a chain of one), so an
operator's semantics live in one place.

Renaming keeps the nodes apart: step ``i``'s ``new_key`` / ``new_value`` become ``k<i>`` /
``v<i>`` (a ``flat_map_values`` loop keeps its input key for every value, whatever a later
step does), its bound names ``<name>_<i>``. Tracebacks show the generated lines; which node
a line belongs to is kept on the function (:func:`node_at`) for the processing exception
handler's context.
"""

from __future__ import annotations

import builtins
import itertools
import linecache
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kstreams.processor.context import Forward

MAX_CHAIN = 8
"""Steps fused into one function at most (each may open a block; Python allows 20 nested)."""

_CHAIN_ATTR = "_kstreams_chain"
_LINES_ATTR = "_kstreams_node_lines"
_DERIVED_ATTR = "_kstreams_derived"


@dataclass(frozen=True)
class Step:
    """One node's per-record code in a chain.

    ``code`` reads ``key``, ``value``, ``ts``, ``headers`` and the names of ``bindings``; it
    assigns ``new_key`` / ``new_value`` when it changes them (``changes_key`` /
    ``changes_value`` say so), and has the whole-line marker ``$forward`` where the record
    (with the new key and value) goes on, as often as it forwards (none: a terminal node).
    """

    node: str
    code: str
    bindings: dict[str, Any] = field(default_factory=dict)
    changes_key: bool = False
    changes_value: bool = False
    temps: tuple[str, ...] = ()
    """Local names of ``code`` (renamed per step, so two steps of a kind keep theirs apart)."""
    unwraps_change: bool = False
    """The step is ``new_value = value.new_value`` then ``$forward`` and nothing else (a
    ``Change`` 's new value, ``to_stream``): a flush listener may hand the steps after it that
    value without building the ``Change`` (:func:`flush_listener`)."""


_MARKER = re.compile(r"^(\s*)\$forward\s*$")
_NAMES = re.compile(r"(?<![.\w])[A-Za-z_]\w*")
"""Names in a snippet (not attributes: ``change.new_value`` keeps its ``new_value``)."""


def _rename(code: str, names: dict[str, str]) -> str:
    return _NAMES.sub(lambda m: names.get(m.group(0), m.group(0)), code)


_LISTENER_HEAD = """\
if new is None:
    value = None
else:
    value = new[0]
    ts = new[1]"""
"""What a flush listener (``key, new, old, ts, headers``) does for a step that unwraps a
``Change``: the value is the new ``(value, timestamp)`` pair's, the timestamp too unless it
is a delete (the cache's own forwarding: ``processor/table_forwarder.py``)."""


def render(
    steps: tuple[Step, ...], head: str | None = None
) -> tuple[str, list[tuple[int, int, str]]]:
    """The factory's text for ``steps`` (arguments: ``forward`` and every step's bindings),
    and ``(first line, last line, node)`` of each step's code in it (1-based). With ``head``
    (a node that unwraps a ``Change``), a flush listener's: ``head`` 's lines first."""
    key, value = "key", "value"
    parts: list[tuple[str, str]] = []  # (node, renamed code) in order
    args: list[str] = ["forward"]
    for i, step in enumerate(steps):
        names = {n: f"{n}_{i}" for n in (*step.bindings, *step.temps)}
        names["key"], names["value"] = key, value
        if step.changes_key:
            key = names["new_key"] = f"k{i}"
        if step.changes_value:
            value = names["new_value"] = f"v{i}"
        args.extend(f"{n}_{i}" for n in step.bindings)
        parts.append((step.node, _rename(textwrap.dedent(step.code).rstrip("\n"), names)))
    body = f"forward({key}, {value}, ts, headers)"
    # innermost first: each step's $forward becomes the code of the steps after it
    spans_inner: list[tuple[int, int, str]] = []  # relative to body's first line
    for node, code in reversed(parts):
        lines: list[str] = []
        spans: list[tuple[int, int, str]] = []
        for line in code.splitlines():
            m = _MARKER.match(line)
            if m is None:
                lines.append(line)
                continue
            start = len(lines)
            inner = body.splitlines()
            lines.extend(m.group(1) + s if s else s for s in inner)
            spans.extend((start + a, start + b, n) for a, b, n in spans_inner)
        # this step's own lines are the ones not inside a nested span
        spans_inner = [*spans, (0, len(lines) - 1, node)]
        body = "\n".join(lines)
    header = [
        "def fused_chain(",
        *[f"    {a}," for a in args],
        "):",
        "    def fused(key, value, ts, headers):",
    ]
    head_spans: list[tuple[int, int, str]] = []
    if head is not None:
        header[-1] = "    def fused(key, new, old, ts, headers):"
        first = len(header) + 1
        header.extend(textwrap.indent(_LISTENER_HEAD, "        ").splitlines())
        head_spans.append((first, len(header), head))
    text = "\n".join([*header, textwrap.indent(body, "        "), "    return fused", ""])
    offset = len(header) + 1
    return text, [(a + offset, b + offset, n) for a, b, n in spans_inner] + head_spans


_factories: dict[str, Callable[..., Forward]] = {}
_ids = itertools.count(1)
"""Numbers of the generated files (``next`` is atomic: stream threads build tasks at once)."""


def _factory(
    steps: tuple[Step, ...], head: str | None = None
) -> tuple[Callable[..., Any], list[tuple[int, int, str]]]:
    """The compiled factory of ``steps`` (shared by chains of the same text: nodes of one kind
    share code, as closures do) and the chain's own line spans."""
    text, spans = render(steps, head)
    known = _factories.get(text)
    if known is not None:
        return known, spans
    # no ":" nor parentheses: profilers print frames as "function (file:line)"
    kind = "fused chain" if head is None else "flush listener"
    filename = f"<kstreams {kind} {next(_ids)}, {len(steps)} nodes>"
    namespace: dict[str, Any] = {"__builtins__": builtins}
    exec(compile(text, filename, "exec"), namespace)
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    known = _factories[text] = namespace["fused_chain"]
    return known, spans


def fuse(step: Step, forward: Forward | None) -> Forward:
    """The node's function: ``step`` followed by ``forward`` (its children), fused with
    ``forward``'s own steps when that is a chain (the node's only child is fused too).
    ``forward`` is None after a last step (one without ``$forward``)."""
    chain = getattr(forward, _CHAIN_ATTR, None)
    steps: tuple[Step, ...] = (step,)
    tail = forward
    if chain is not None and len(chain[0]) < MAX_CHAIN:
        steps, tail = (step, *chain[0]), chain[1]
    factory, spans = _factory(steps)
    args: list[Any] = [tail]
    for s in steps:
        args.extend(s.bindings.values())
    fn = factory(*args)
    setattr(fn, _CHAIN_ATTR, (steps, tail))
    setattr(fn, _LINES_ATTR, spans)
    return fn


def flush_listener(forward: Any) -> Callable[[Any, Any, Any, int, Any], None] | None:
    """A record cache's flush listener ``(key, new, old, ts, headers)`` that runs the chain
    ``forward`` without the ``Change`` its first step would unwrap: what forwarding
    ``Change(new value, old value)`` to ``forward`` does, in one call (None when ``forward``'s
    first step unwraps no ``Change``). The listener is kept on ``forward``
    (:func:`derived`): it runs that node's steps, for the failing-node lookup."""
    chain = getattr(forward, _CHAIN_ATTR, None)
    if chain is None or not chain[0][0].unwraps_change:
        return None
    steps, tail = chain
    rest = steps[1:]
    if not rest and tail is None:
        return None
    factory, spans = _factory(rest, steps[0].node)
    args: list[Any] = [tail]
    for s in rest:
        args.extend(s.bindings.values())
    fn = factory(*args)
    setattr(fn, _LINES_ATTR, spans)
    setattr(forward, _DERIVED_ATTR, (*derived(forward), fn))
    return fn  # type: ignore[no-any-return]


def derived(fn: Any) -> tuple[Any, ...]:
    """The flush listeners made from fused function ``fn`` (:func:`flush_listener`)."""
    return getattr(fn, _DERIVED_ATTR, ())  # type: ignore[no-any-return]


def node_at(fn: Any, line: int) -> str | None:
    """The node whose code is at ``line`` of fused function ``fn`` (None: not fused, or a
    line of no step). Nested steps' spans come first: the innermost match wins."""
    for first, last, node in getattr(fn, _LINES_ATTR, ()):
        if first <= line <= last:
            return node
    return None


def source(fn: Any) -> str | None:
    """The generated text of fused function ``fn`` (None: not fused)."""
    chain = getattr(fn, _CHAIN_ATTR, None)
    return None if chain is None else render(chain[0])[0]
