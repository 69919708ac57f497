"""The differential harness: scenarios as data, run through kstreams' TopologyTestDriver.

A :class:`Scenario` holds its inputs, output topics and store queries as data and its topology
as a Python function; ``java/src/main/java/kstreams/differential/Scenarios.java`` builds the
same topology in Java (the method named :attr:`Scenario.java_method`). Both sides end up as a
:class:`Result` decoded by the same Python serdes, so they compare with ``==``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kstreams import Serdes, StreamsBuilder, WindowedSerdes
from kstreams.serde import Serde
from kstreams.testing import TopologyTestDriver
from kstreams.windows import TimeWindow, Windowed

#: The serdes a scenario may name; the Java runner maps the same names to Kafka's serdes
#: (``JSON`` to a Jackson serde whose bytes may differ, so values are compared decoded).
SERDES: dict[str, Callable[[], Serde[Any]]] = {
    "String": Serdes.String,
    "Long": Serdes.Long,
    "Integer": Serdes.Integer,
    "Double": Serdes.Double,
    "ByteArray": Serdes.ByteArray,
    "JSON": Serdes.JSON,
}

#: Both drivers start their mock wall clock here (epoch ms).
INITIAL_WALL_CLOCK_MS = 1_000_000

#: Config every scenario starts from; serde-valued keys name a serde of :data:`SERDES`.
BASE_CONFIG: dict[str, Any] = {
    "application.id": "app",
    "default.key.serde": "String",
    "default.value.serde": "String",
}


def serde(name: str) -> Serde[Any]:
    """A new instance of the serde called ``name``.

    Windowed keys of output topics: ``TimeWindowed:<inner>:<window size ms>`` and
    ``SessionWindowed:<inner>`` (read on the Python side only, for both drivers' bytes).
    """
    kind, _, rest = name.partition(":")
    if kind == "TimeWindowed":
        inner, _, size = rest.rpartition(":")
        return WindowedSerdes.time_windowed_serde_from(serde(inner), int(size))
    if kind == "SessionWindowed":
        return WindowedSerdes.session_windowed_serde_from(serde(rest))
    try:
        return SERDES[name]()
    except KeyError:
        raise ValueError(f"unknown serde name {name!r}; known: {sorted(SERDES)}") from None


# -- scenario data ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pipe:
    """One record piped into ``topic`` (headers as ``(key, bytes)`` pairs)."""

    topic: str
    key: Any
    value: Any
    timestamp: int
    headers: tuple[tuple[str, bytes | None], ...] = ()


@dataclass(frozen=True)
class AdvanceWallClock:
    """``advance_wall_clock_time(ms)`` on both drivers."""

    ms: int


Step = Pipe | AdvanceWallClock


def pipes(topic: str, rows: list[tuple[Any, Any, int]]) -> list[Step]:
    """``(key, value, timestamp)`` rows as :class:`Pipe` steps into ``topic``."""
    return [Pipe(topic, k, v, ts) for k, v, ts in rows]


@dataclass(frozen=True)
class StoreQuery:
    """A store to read after the steps.

    ``kind="kv"``: a key-value store's ``all()`` and ``get()`` of ``gets``. ``kind="window"``:
    a timestamped window store's ``all()`` and ``fetch(key, 0, Long.MAX_VALUE)`` of ``gets``,
    entries as ``(key, window start, window end, value, timestamp)``. ``kind="session"``: a
    session store's ``fetch(key)`` of ``gets``, entries ``(key, start, end, aggregate, None)``.
    """

    name: str
    key_serde: str = "String"
    value_serde: str = "String"
    timestamped: bool = True
    gets: tuple[Any, ...] = ()
    kind: str = "kv"


@dataclass(frozen=True)
class Deliberate:
    """A difference the README documents: ``adjust`` turns Java's result for one aspect into
    what kstreams gives by that rule; ``difference`` is its heading in DIFFERENCES.md."""

    difference: str
    adjust: Callable[[Any], Any]


@dataclass(frozen=True)
class Scenario:
    """A topology (``build`` fills a StreamsBuilder), its inputs and what to compare."""

    name: str
    build: Callable[[StreamsBuilder], None]
    inputs: dict[str, tuple[str, str]]
    steps: list[Step]
    outputs: dict[str, tuple[str, str]]
    stores: tuple[StoreQuery, ...] = ()
    config: dict[str, Any] = field(default_factory=dict)
    #: aspect -> why kstreams disagrees with Java (the test is xfail(strict=True))
    bugs: dict[str, str] = field(default_factory=dict)
    #: aspect -> a documented difference (the test checks kstreams against adjusted Java)
    deliberate: dict[str, Deliberate] = field(default_factory=dict)
    #: the class of ``java/src/main/java/kstreams/differential/`` holding the Java twin
    java_class: str = "Scenarios"

    @property
    def java_method(self) -> str:
        """The ``Scenarios.java`` method building this topology: the name in camelCase."""
        first, *rest = self.name.split("_")
        return first + "".join(p.capitalize() for p in rest)

    @property
    def full_config(self) -> dict[str, Any]:
        return {**BASE_CONFIG, **self.config}

    def topology(self) -> Any:
        builder = StreamsBuilder()
        self.build(builder)
        # as the Java runner: built with the config only when it asks for optimizations
        if "topology.optimization" in self.config:
            return builder.build(self.full_config)
        return builder.build()

    def to_request(self) -> dict[str, Any]:
        """This scenario as the Java runner reads it: inputs serialized here, as Base64."""
        steps: list[dict[str, Any]] = []
        for step in self.steps:
            if isinstance(step, AdvanceWallClock):
                steps.append({"advance_wall_clock_ms": step.ms})
                continue
            key_serde, value_serde = (serde(n) for n in self.inputs[step.topic])
            steps.append(
                {
                    "topic": step.topic,
                    "key": _b64(key_serde.serialize(step.topic, step.key)),
                    "value": _b64(value_serde.serialize(step.topic, step.value)),
                    "ts": step.timestamp,
                    "headers": [[k, _b64(v)] for k, v in step.headers],
                }
            )
        stores = []
        for q in self.stores:
            ks = serde(q.key_serde)
            stores.append(
                {
                    "name": q.name,
                    "key_serde": q.key_serde,
                    "value_serde": q.value_serde,
                    "timestamped": q.timestamped,
                    "gets": [_b64(ks.serialize(q.name, k)) for k in q.gets],
                    "kind": q.kind,
                }
            )
        return {
            "name": self.name,
            "java_class": self.java_class,
            "java_method": self.java_method,
            "config": {k: str(v) for k, v in self.full_config.items()},
            "initial_wall_clock_ms": INITIAL_WALL_CLOCK_MS,
            "inputs": {t: {"start_ms": 0, "advance_ms": 0} for t in self.inputs},
            "steps": steps,
            "outputs": list(self.outputs),
            "stores": stores,
        }


# -- results ----------------------------------------------------------------------------------

#: (key, value, timestamp, headers) of one output record, decoded
OutputRecord = tuple[Any, Any, int, tuple[tuple[str, bytes | None], ...]]


@dataclass
class Result:
    """What one driver produced for a scenario, decoded with the scenario's serdes."""

    describe: str
    outputs: dict[str, list[OutputRecord]]
    #: store -> {"all": [(key, value, timestamp or None)], "gets": [(value, ts) or None]}
    stores: dict[str, dict[str, list[Any]]]
    produced_topics: list[str]
    #: the dropped-records-total metrics, summed over the tasks
    dropped_records: int

    def aspect(self, name: str) -> Any:
        return getattr(self, name)


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


def _decode(serde_name: str, topic: str, data: bytes | None) -> Any:
    return serde(serde_name).deserialize(topic, data)


def _output_record(
    s: Scenario, topic: str, key: bytes | None, value: bytes | None, ts: int, headers: Any
) -> OutputRecord:
    ks, vs = s.outputs[topic]
    return (
        _decode(ks, topic, key),
        _decode(vs, topic, value),
        ts,
        tuple((k, v) for k, v in headers or ()),
    )


def _through(serde_name: str, store: str, obj: Any) -> Any:
    """A store's key or value through its serde and back: the normal form Java's takes."""
    s = serde(serde_name)
    return s.deserialize(store, s.serialize(store, obj))


def decode_java(s: Scenario, raw: dict[str, Any]) -> Result:
    """The Java runner's result for ``s`` (bytes as Base64) decoded as kstreams' is."""
    if raw.get("error"):
        raise AssertionError(f"Kafka Streams failed on scenario {s.name}:\n{raw['error']}")
    outputs = {
        topic: [
            _output_record(
                s,
                topic,
                _unb64(r["key"]),
                _unb64(r["value"]),
                r["ts"],
                [(k, _unb64(v)) for k, v in r["headers"]],
            )
            for r in records
        ]
        for topic, records in raw["outputs"].items()
    }
    stores = {}
    for q in s.stores:
        got = raw["stores"][q.name]
        if q.kind != "kv":
            stores[q.name] = _decode_windowed_java(q, got)
            continue
        stores[q.name] = {
            "all": [
                (
                    _decode(q.key_serde, q.name, _unb64(e["key"])),
                    _decode(q.value_serde, q.name, _unb64(e["value"])),
                    e["ts"],
                )
                for e in got["all"]
            ],
            "gets": [
                None if e is None else (_decode(q.value_serde, q.name, _unb64(e["value"])), e["ts"])
                for e in got["gets"]
            ],
        }
    return Result(raw["describe"], outputs, stores, raw["produced_topics"], raw["dropped_records"])


def _decode_windowed_java(q: StoreQuery, got: dict[str, Any]) -> dict[str, list[Any]]:
    """A window or session store's entries from the Java runner, as :func:`_read_windowed`."""

    def entry(e: dict[str, Any]) -> tuple[Any, ...]:
        return (
            _decode(q.key_serde, q.name, _unb64(e["key"])),
            e["start"],
            e["end"],
            _decode(q.value_serde, q.name, _unb64(e["value"])),
            e["ts"],
        )

    return {
        "all": [entry(e) for e in got["all"]],
        "gets": [[entry(e) for e in entries] for entries in got["gets"]],
    }


def _read_windowed(driver: TopologyTestDriver, q: StoreQuery) -> dict[str, list[Any]]:
    """A window or session store read as the Java runner reads it (see :class:`StoreQuery`)."""

    def entry(windowed: Any, stored: Any) -> tuple[Any, ...]:
        value, ts = (stored.value, stored.timestamp) if q.kind == "window" else (stored, None)
        return (
            _through(q.key_serde, q.name, windowed.key),
            windowed.window.start,
            windowed.window.end,
            _through(q.value_serde, q.name, value),
            ts,
        )

    if q.kind == "window":
        store = driver.get_timestamped_window_store(q.name)
        size = store.window_size
        return {
            "all": [entry(w, v) for w, v in store.all()],
            "gets": [
                [
                    entry(Windowed(k, TimeWindow(start, start + size)), v)
                    for start, v in store.fetch_range(k, 0, (1 << 63) - 1)
                ]
                for k in q.gets
            ],
        }
    if q.kind == "session":
        store = driver.get_session_store(q.name)
        return {"all": [], "gets": [[entry(w, v) for w, v in store.fetch(k)] for k in q.gets]}
    raise ValueError(f"unknown store query kind {q.kind!r} (kv, window or session)")


def _py_config(s: Scenario) -> dict[str, Any]:
    return {k: SERDES[v] if k.endswith(".serde") else v for k, v in s.full_config.items()}


def run_kstreams(s: Scenario) -> Result:
    """Run ``s`` through kstreams' TopologyTestDriver.

    Inputs go through the scenario's serdes; outputs are read as bytes and decoded exactly as
    Java's are, so both sides are compared from what went on the wire.
    """
    topology = s.topology()
    raw = Serdes.ByteArray()
    with TopologyTestDriver(topology, _py_config(s), INITIAL_WALL_CLOCK_MS) as driver:
        inputs = {
            t: driver.create_input_topic(t, serde(k), serde(v), start_timestamp=0)
            for t, (k, v) in s.inputs.items()
        }
        for step in s.steps:
            if isinstance(step, AdvanceWallClock):
                driver.advance_wall_clock_time(step.ms)
            else:
                inputs[step.topic].pipe_input(
                    step.key, step.value, step.timestamp, list(step.headers) or None
                )
        outputs = {
            topic: [
                _output_record(s, topic, r.key, r.value, r.timestamp, r.headers)
                for r in driver.create_output_topic(topic, raw, raw).read_records_to_list()
            ]
            for topic in s.outputs
        }
        stores = {q.name: _read_store(driver, q) for q in s.stores}
        produced = sorted(driver.produced_topic_names())
        dropped = driver.metrics()["dropped-records-total"]
    return Result(str(topology.describe()), outputs, stores, produced, dropped)


def _read_store(driver: TopologyTestDriver, q: StoreQuery) -> dict[str, list[Any]]:
    """``all()`` and ``get()`` of the queried store, as :func:`decode_java` gives Java's."""
    if q.kind != "kv":
        return _read_windowed(driver, q)
    if q.timestamped:
        store = driver.get_timestamped_key_value_store(q.name)

        def split(vat: Any) -> tuple[Any, int | None]:
            return vat.value, vat.timestamp
    else:
        store = driver.get_key_value_store(q.name)

        def split(value: Any) -> tuple[Any, int | None]:
            return value, None

    def entry(stored: Any) -> tuple[Any, int | None]:
        value, ts = split(stored)
        return _through(q.value_serde, q.name, value), ts

    return {
        "all": [(_through(q.key_serde, q.name, k), *entry(v)) for k, v in store.all()],
        "gets": [None if (v := store.get(k)) is None else entry(v) for k in q.gets],
    }
