"""A source's per-record path, generated from one description of its stages.

:data:`STAGES` says what happens to a record read from a source topic; :func:`build` makes
both entry points of a source from it, as Python source text compiled once per
:class:`Shape` (as ``dataclasses`` and ``namedtuple`` do): one flat function per entry
point, no Python call per stage. ``python -m kstreams.runtime.record_path`` prints the code.

A stage is a snippet of Python: the statements of one step, on the local names ``partition``,
``offset``, ``kb``, ``vb``, ``ts``, ``headers`` (the record as read), ``key`` and ``value``
(once deserialized), and the names each source binds to its task's objects (:data:`BINDINGS`:
``ctx``, ``forward``, ``metrics``, ...). Its ``per_run`` statements are the same for every
record of a run of one partition. Where the record's path may end, a snippet says so with
whole-line markers, which each entry point (:class:`Frame`) fills in its own way:

``$consumed``     the record's offset counts as consumed (committable)
``$processed``    the record counts in the ``processed`` metric
``$next_record``  leave this record (skipped or dropped; say ``$consumed`` first)
``$late``         the record is ``late`` ms behind stream time (the ``record-lateness`` metric)
``$run_context``  the ``per_run`` statements of every stage again (after a punctuation)

The per-record entry point ``source(partition, offset, key_bytes, value_bytes, timestamp,
headers)`` (``StreamTask.process``, the TopologyTestDriver, tasks with several partitions)
runs ``per_run`` with each record and keeps the offset and the metric per record. The batch
entry point ``run(first_message, rest)`` (the stream thread) runs ``per_run`` once per run,
reads each message's fields, and keeps the last offset and the count of the run in locals,
written back once when the run ends (commits only happen between batches). A run pauses the
cyclic garbage collector (``restore.gc_paused``: back on when the run ends, if it was on): a
run's messages, tuples and lists are freed by reference counting, and collections triggered
by them cost ~6,000 instructions per line of the word count (young and middle generations
over the fetched ``Message`` s, which the collector tracks). Cycles user code makes in a
run are collected after it.

A change to a stage (a new check, handler or metric) is made once, in its snippet; a counter
on the hot path that should be kept per run rather than per record is a new marker, filled
by both frames. Generated code rather than one closure per stage: closures composed stage by
stage (four more calls per record, the run's bookkeeping per record) measured +400-450 ns per
record, +18-38% on ``bench/experiments/task_path.py``; the generated loop is the hand-written
one it replaces.
"""

from __future__ import annotations

import builtins
import dis
import linecache
import logging
import re
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, replace
from itertools import chain
from typing import Any

from kstreams.errors import StreamsError
from kstreams.processor.timestamps import ConsumedRecord
from kstreams.runtime.restore import gc_paused
from kstreams.serde.base import Headers

log = logging.getLogger("kstreams")

RawProcess = Callable[[int, int, Any, Any, int, Headers], None]
"""A source's entry point: ``(partition, offset, key_bytes, value_bytes, timestamp, headers)``."""

RunProcess = Callable[[Any, Iterator[Any]], Any]
"""A source's batch entry point: ``run(first_message, rest) -> first message not processed``.

It processes ``first_message`` (a confluent-kafka ``Message``) and the messages of
``rest`` that follow it on the same topic-partition, and returns the first message it
did not take (another partition, or one carrying an error), or None when ``rest`` is
exhausted.
"""


def invalid_timestamp(topic: str, partition: int, offset: int, ts: int) -> StreamsError:
    """The error for a record with a negative timestamp (no timestamp extractor that skips it)."""
    return StreamsError(
        f"Input record {topic}-{partition}@{offset} has invalid (negative) "
        f"timestamp {ts}. Use a different timestamp extractor "
        "(e.g. LogAndSkipOnInvalidTimestamp) to process such records."
    )


@dataclass(frozen=True)
class Shape:
    """What a source's code depends on, known when the task is built."""

    key_fast: bool
    """The key serde has a fast deserializer (``kfast``, see ``Serde.fast_deserializer``)."""
    value_fast: bool
    """The value serde has one (``vfast``)."""
    extractor: bool
    """A timestamp extractor (``extractor``) other than the default ``FailOnInvalidTimestamp``,
    which the ``timestamp`` stage checks inline."""
    partition_times: bool = False
    """The task reads several partitions: each one's time is kept in ``partition_time`` (with
    one partition it is the task's stream time; with an extractor it is always kept)."""
    value_like_key: bool = False
    """Key and value have one fast deserializer of immutable results (:data:`SHARED_DECODERS`,
    set by :func:`build`): a value whose bytes equal the key's is the key object, decoded once
    (a grouping's repartition topic of ``group_by(lambda k, word: word)``, whose sink encodes
    the word once too)."""

    def __str__(self) -> str:
        return ", ".join(f.name for f in fields(self) if getattr(self, f.name)) or "plain"


@dataclass(frozen=True)
class Stage:
    """One step of the per-record path: ``code(shape)`` is its per-record snippet."""

    name: str
    code: Callable[[Shape], str]
    per_run: str = ""
    """Statements whose effect is the same for every record of a run of one partition."""


BINDINGS: dict[str, str] = {
    "topic": "the source topic (its real name)",
    "name": "the source node's name (for the deserialization handler)",
    "ctx": "the task's TaskContext",
    "consumed": "the task's consumed offsets: (topic, partition) -> offset",
    "metrics": "the task's TaskMetrics",
    "kdes": "the key serde's deserialize(topic, data, headers)",
    "vdes": "the value serde's deserialize(topic, data, headers)",
    "kfast": "the key serde's fast deserializer, or None",
    "vfast": "the value serde's fast deserializer, or None",
    "extractor": "the timestamp extractor: fn(ConsumedRecord, partition_time) -> int, or None",
    "partition_time": "the task's partition times of this topic: partition -> ms (see Shape)",
    "forward": "the source node's children: fn(key, value, timestamp, headers)",
    "on_deserialization_error": "StreamTask._on_deserialization_error",
    "on_processing_error": "StreamTask._on_processing_error",
    "processing_failure": "StreamTask.processing_failure",
    "stream_punctuations": "the task's stream-time schedules (a list: empty when none)",
    "punctuate_stream_time": "StreamTask.punctuate_stream_time",
}
"""What the stages use of the task (each source binds its own objects): name -> what it is."""

GLOBALS: dict[str, Any] = {
    "__builtins__": builtins,
    "ConsumedRecord": ConsumedRecord,
    "StreamsError": StreamsError,
    "chain": chain,
    "gc_paused": gc_paused,
    "invalid_timestamp": invalid_timestamp,
}
"""Names the stages use that are the same for every task."""


# -- the stages ---------------------------------------------------------------------------------


def _deserialize_one(out: str, raw: str, fast: str, full: str, has_fast: bool) -> str:
    if not has_fast:
        return f"{out} = {full}(topic, {raw}, headers)"
    # the fast path takes non-None bytes; if it raises, the full deserializer decides (the
    # same value, or its own error)
    return f"""\
if {raw} is None:
    {out} = {full}(topic, {raw}, headers)
else:
    try:
        {out} = {fast}({raw})
    except Exception:
        {out} = {full}(topic, {raw}, headers)"""


SHARED_DECODERS: tuple[Any, ...] = (bytes.decode,)
"""Fast deserializers whose results cannot change (``str``): equal bytes may share one."""


def deserialize(shape: Shape) -> str:
    """Key and value from bytes; a failure goes to the deserialization exception handler."""
    value = _deserialize_one("value", "vb", "vfast", "vdes", shape.value_fast)
    if shape.value_like_key:
        # the same decoder of equal bytes: the same (immutable) value, without decoding again
        value = value.replace("else:\n", "elif vb == kb:\n    value = key\nelse:\n", 1)
    return fill(
        """\
        try:
            $key
            $value
        except Exception as exc:  # the deserialization exception handler decides
            $consumed
            on_deserialization_error(name, topic, partition, offset, kb, vb, ts, headers, exc)
            $next_record
        """,
        key=_deserialize_one("key", "kb", "kfast", "kdes", shape.key_fast),
        value=value,
    )


def timestamp(shape: Shape) -> str:
    """The record's timestamp: the extractor's, or the message's if it is not negative."""
    if not shape.extractor:
        code = """\
if ts < 0:
    raise invalid_timestamp(topic, partition, offset, ts)
"""
        if shape.partition_times:
            code += """\
if ts > partition_time.get(partition, -1):
    partition_time[partition] = ts
"""
        return code
    return """\
ts = extractor(
    ConsumedRecord(topic, partition, offset, ts, key, value, headers),
    partition_time.get(partition, -1),
)
if ts < 0:  # the extractor drops the record
    $consumed
    metrics.dropped_records += 1
    $next_record
if ts > partition_time.get(partition, -1):
    partition_time[partition] = ts
"""


def record_context(shape: Shape) -> str:
    """What processors see of the record (the topic and partition: in ``per_run``)."""
    return """\
ctx.offset = offset
ctx.timestamp = ts
ctx.headers = headers
"""


def stream_time(shape: Shape) -> str:
    """The task's stream time: the largest timestamp seen; a record behind it is late by the
    difference (the ``record-lateness`` metric; its count is ``processed``)."""
    return """\
if ts > ctx.stream_time:
    ctx.stream_time = ts
elif ts < ctx.stream_time:
    late = ctx.stream_time - ts
    $late
"""


def process(shape: Shape) -> str:
    """Through the topology; user code that fails goes to the processing exception handler."""
    return """\
try:
    forward(key, value, ts, headers)
except StreamsError:
    raise
except Exception as exc:  # user code failed: the processing exception handler decides
    on_processing_error(topic, partition, offset, kb, vb, key, value, ts, headers, exc)
"""


def completed(shape: Shape) -> str:
    """The record is done: its offset may be committed, and it counts as processed."""
    return """\
$consumed
$processed
"""


def punctuate(shape: Shape) -> str:
    """Stream-time punctuations that are due (the check costs nothing when none is scheduled)."""
    return """\
if stream_punctuations and punctuate_stream_time():
    # a punctuation ran with its own record context: the run's again
    $run_context
"""


STAGES: tuple[Stage, ...] = (
    Stage("deserialize", deserialize),
    Stage("timestamp", timestamp),
    Stage("record context", record_context, per_run="ctx.topic = topic\nctx.partition = partition"),
    Stage("stream time", stream_time),
    Stage("process", process),
    Stage("completed", completed),
    Stage("punctuate", punctuate),
)
"""What happens to each record read from a source topic, in order."""


# -- the entry points ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """An entry point: a function around the stages, and how it fills their markers."""

    template: str
    """The function, with the markers ``$per_run`` and ``$stages``."""
    consumed: str
    processed: str
    next_record: str
    late: str
    per_run_with_each_record: bool
    """Whether each stage's ``per_run`` goes before its code (else to ``$per_run``, once)."""


RECORD = Frame(
    template="""\
def source(partition, offset, kb, vb, ts, headers):
    $stages
""",
    consumed="consumed[(topic, partition)] = offset",
    processed="metrics.processed += 1",
    next_record="return",
    late="metrics.lateness_total += late\nif late > metrics.lateness_max:\n    metrics.lateness_max = late",
    per_run_with_each_record=True,
)
"""``source(partition, offset, key_bytes, value_bytes, timestamp, headers)``: one record."""

RUN = Frame(
    template="""\
def run(first, rest):
    partition = first.partition()
    $per_run
    last = -1
    processed = 0
    offset = -1
    late_total = 0
    late_max = 0
    try:
        with gc_paused():  # see the module notes
            for msg in chain((first,), rest):
                if msg.partition() != partition or msg.error() is not None or msg.topic() != topic:
                    return msg
                offset = msg.offset()
                kb = msg.key()
                vb = msg.value()
                headers = msg.headers()
                ts = msg.timestamp()[1]
                $stages
        return None
    except StreamsError:
        raise
    except Exception as exc:
        raise processing_failure(topic, partition, offset, exc) from exc
    finally:
        # should a record fail, this is the offset of the last one that completed (the
        # thread dies without committing)
        if last >= 0:
            consumed[(topic, partition)] = last
        metrics.processed += processed
        if late_total:
            metrics.lateness_total += late_total
            if late_max > metrics.lateness_max:
                metrics.lateness_max = late_max
""",
    consumed="last = offset",
    processed="processed += 1",
    next_record="continue",
    late="late_total += late\nif late > late_max:\n    late_max = late",
    per_run_with_each_record=False,
)
"""``run(first_message, rest)``: a run of messages of one partition (see :data:`RunProcess`)."""

_MARKER = re.compile(r"^(\s*)\$(\w+)\s*$")


def fill(template: str, **snippets: str) -> str:
    """``template`` (dedented) with each whole-line marker ``$name`` of ``snippets`` replaced
    by that snippet, indented as the marker; other markers stay for a later fill."""
    out = []
    for line in textwrap.dedent(template).splitlines():
        m = _MARKER.match(line)
        if m is None or m.group(2) not in snippets:
            out.append(line)
            continue
        out.extend(m.group(1) + s if s else s for s in snippets[m.group(2)].splitlines())
    return "\n".join(out) + "\n"


def entry_point(frame: Frame, shape: Shape, stages: tuple[Stage, ...] = STAGES) -> str:
    """The source text of one entry point."""
    per_run = "\n".join(s.per_run for s in stages if s.per_run)
    body = []
    for stage in stages:
        code = stage.code(shape)
        if frame.per_run_with_each_record and stage.per_run:
            code = stage.per_run + "\n" + code
        body.append(f"# -- {stage.name}\n{code}")
    text = fill(frame.template, stages="\n".join(body), per_run=per_run)
    return fill(
        text,
        consumed=frame.consumed,
        processed=frame.processed,
        next_record=frame.next_record,
        late=frame.late,
        run_context=per_run or "pass",
    )


def render(shape: Shape, stages: tuple[Stage, ...] = STAGES) -> str:
    """The module text for ``shape``: a factory of both entry points over :data:`BINDINGS`."""
    args = "".join(f"    {n},\n" for n in BINDINGS)
    inner = (entry_point(RECORD, shape, stages), entry_point(RUN, shape, stages))
    body = "\n".join(textwrap.indent(code, "    ") for code in inner)
    text = f"def source_path(\n    *,\n{args}):\n{body}\n    return source, run\n"
    leftover = [line for line in text.splitlines() if _MARKER.match(line)]
    if leftover:
        raise AssertionError(f"unfilled markers in the record path: {leftover}")
    return text


_factories: dict[str, Callable[..., tuple[RawProcess, RunProcess]]] = {}
_texts: dict[tuple[Shape, tuple[Stage, ...]], str] = {}


def _globals_used(code: Any) -> set[str]:
    names = {i.argval for i in dis.get_instructions(code) if i.opname == "LOAD_GLOBAL"}
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            names |= _globals_used(const)
    return names


def _compile(text: str, shape: Shape) -> Callable[..., tuple[RawProcess, RunProcess]]:
    """The factory defined by ``text``, compiled once per process."""
    factory = _factories.get(text)
    if factory is not None:
        return factory
    # no ":" nor parentheses: profilers print frames as "function (file:line)"
    filename = f"<kstreams record path {len(_factories) + 1}, {shape}>"
    code = compile(text, filename, "exec")
    unbound = _globals_used(code) - set(GLOBALS) - set(dir(builtins))
    if unbound:
        raise AssertionError(f"the record path uses names not in BINDINGS: {sorted(unbound)}")
    namespace = dict(GLOBALS)
    exec(code, namespace)
    # tracebacks and debuggers show the generated lines
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    log.debug("compiled %s:\n%s", filename, text)
    factory = _factories[text] = namespace["source_path"]
    return factory


@dataclass(frozen=True)
class SourcePath:
    """The entry points of one source topic and the code they were compiled from."""

    source: RawProcess
    run: RunProcess
    text: str


def build(shape: Shape, bindings: dict[str, Any], stages: tuple[Stage, ...] = STAGES) -> SourcePath:
    """Both entry points of a source, over the task's ``bindings`` (see :data:`BINDINGS`)."""
    if bindings.keys() != BINDINGS.keys():
        raise TypeError(
            f"record path bindings: missing {sorted(BINDINGS.keys() - bindings.keys())}, "
            f"unknown {sorted(bindings.keys() - BINDINGS.keys())}"
        )
    kfast = bindings["kfast"]
    if shape.key_fast and kfast is bindings["vfast"] and any(kfast is d for d in SHARED_DECODERS):
        shape = replace(shape, value_like_key=True)
    text = _texts.get((shape, stages))
    if text is None:  # rendered once per shape: a restart creates a task per partition
        text = _texts[(shape, stages)] = render(shape, stages)
    source, run = _compile(text, shape)(**bindings)
    return SourcePath(source, run, text)


if __name__ == "__main__":
    # the code of one shape: python -m kstreams.runtime.record_path [key_fast] [value_fast] [extractor]
    import sys

    chosen = Shape(*(f.name in sys.argv[1:] for f in fields(Shape)))
    print(render(chosen))
