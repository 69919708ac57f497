"""Avro serdes, built on fastavro (``pip install kstreams-py[avro]``).

Two flavours:

* :class:`AvroSerde` -- plain Avro binary, no header. Both sides must agree on
  the schema out of band.
* :class:`SchemaRegistryAvroSerde` -- the Confluent wire format, readable by
  Java's ``KafkaAvroDeserializer`` and confluent-kafka's ``AvroDeserializer``::

      byte 0      magic byte, always 0
      bytes 1-4   schema id, 32-bit big-endian, as the Schema Registry assigned it
      bytes 5-    Avro binary encoding of the record

fastavro is imported when a serde is created, not when this module is, so
``kstreams.serde`` imports fine without it.

Example::

    schema = {"type": "record", "name": "Click",
              "fields": [{"name": "url", "type": "string"}]}
    serde = AvroSerde(schema)
    serde.deserialize("clicks", serde.serialize("clicks", {"url": "/"}))  # {'url': '/'}
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from io import BytesIO
from types import ModuleType
from typing import Any, Protocol, runtime_checkable

from kstreams.errors import ConfigError, DeserializationError, SerializationError
from kstreams.serde.base import Headers, Serde
from kstreams.serde.primitives import _preview

__all__ = [
    "AvroSchema",
    "AvroSerde",
    "SchemaRegistryAvroSerde",
    "SchemaRegistryClientLike",
    "topic_name_strategy",
]

AvroSchema = dict[str, Any] | list[Any] | str
"""An Avro schema: a dict (record, enum, ...), a list (union), or JSON text / a primitive name."""

_MAGIC_BYTE = 0
_WIRE_HEADER = struct.Struct(">BI")  # magic byte, schema id


def _require_fastavro() -> ModuleType:
    """Import fastavro, or explain how to install it."""
    try:
        import fastavro
    except ImportError as exc:
        raise ImportError(
            "the Avro serdes need fastavro, which is not installed: pip install kstreams-py[avro]"
        ) from exc
    return fastavro


def _load_schema(fastavro: ModuleType, schema: AvroSchema, owner: str) -> tuple[Any, str]:
    """Parse ``schema`` once; return (parsed schema, schema JSON text)."""
    if isinstance(schema, str):
        try:
            obj: Any = json.loads(schema)
            text = schema
        except ValueError:
            obj = schema  # a bare type name such as "string" or a named type
            text = json.dumps(schema)
    elif isinstance(schema, (dict, list)):
        obj = schema
        text = json.dumps(schema, separators=(",", ":"))
    else:
        raise ConfigError(
            f"{owner}: an Avro schema must be a dict, a list or JSON text, "
            f"got {type(schema).__name__}"
        )
    try:
        return fastavro.parse_schema(obj), text
    except Exception as exc:
        raise ConfigError(f"{owner}: invalid Avro schema: {exc}") from exc


def _write_error(
    fastavro: ModuleType, owner: str, topic: str, data: Any, parsed: Any, exc: Exception
) -> SerializationError:
    """A message saying which field of ``data`` does not fit the schema, when fastavro can tell."""
    reason = f"{type(exc).__name__}: {exc}"
    try:
        fastavro.validation.validate(data, parsed, raise_errors=True)
    except Exception as invalid:
        errors = getattr(invalid, "errors", None)
        reason = "; ".join(map(str, errors)) if errors else str(invalid).strip()
    name = parsed.get("name", parsed.get("type")) if isinstance(parsed, dict) else parsed
    return SerializationError(
        f"{owner} could not write a {type(data).__name__} as Avro {name!s} "
        f"for topic {topic!r}: {reason}"
    )


class AvroSerde(Serde[Any]):
    """Schemaless Avro binary: the record's Avro encoding with no header.

    Records are what fastavro takes and returns: dicts for records, ``str``
    for enums and strings, and so on. The schema is parsed once.

    Args:
        schema: The Avro schema, as a dict, a list (union) or JSON text.
        validate: Check each record against the schema before writing. fastavro
            alone does not catch everything (it writes ``2**40`` into an
            ``int`` field); validation costs time on every record.

    Example::

        >>> serde = AvroSerde({"type": "record", "name": "P",
        ...                    "fields": [{"name": "x", "type": "int"}]})
        >>> serde.serialize("t", {"x": 1})
        b'\\x02'
    """

    def __init__(self, schema: AvroSchema, *, validate: bool = False) -> None:
        fastavro = _require_fastavro()
        self._fastavro = fastavro
        self._schema = schema
        self._parsed, self.schema_str = _load_schema(fastavro, schema, "AvroSerde")
        self._validate = validate
        self._writer: Callable[..., Any] = fastavro.schemaless_writer
        self._reader: Callable[..., Any] = fastavro.schemaless_reader
        self._validator: Callable[..., Any] = fastavro.validation.validate

    @property
    def parsed_schema(self) -> Any:
        """The schema as fastavro parsed it."""
        return self._parsed

    def serialize(self, topic: str, data: Any, headers: Headers = None) -> bytes | None:
        if data is None:
            return None
        out = BytesIO()
        try:
            if self._validate:
                self._validator(data, self._parsed, raise_errors=True)
            self._writer(out, self._parsed, data)
        except Exception as exc:
            raise _write_error(self._fastavro, "AvroSerde", topic, data, self._parsed, exc) from exc
        return out.getvalue()

    def deserialize(self, topic: str, data: bytes | None, headers: Headers = None) -> Any:
        if data is None:
            return None
        try:
            return self._reader(BytesIO(data), self._parsed, None)
        except Exception as exc:
            raise DeserializationError(
                f"AvroSerde could not read data from topic {topic!r} with its schema: "
                f"{type(exc).__name__}: {exc}; data starts with {_preview(data)}"
            ) from exc

    def __reduce__(self) -> tuple[Any, ...]:
        return (_make_avro_serde, (self._schema, self._validate))

    def __repr__(self) -> str:
        return f"AvroSerde({self.schema_str if len(self.schema_str) < 80 else '...'})"


def _make_avro_serde(schema: AvroSchema, validate: bool) -> AvroSerde:
    return AvroSerde(schema, validate=validate)


def topic_name_strategy(topic: str, is_key: bool) -> str:
    """Confluent's default ``TopicNameStrategy``: subject ``<topic>-key`` or ``<topic>-value``.

    Example::

        >>> topic_name_strategy("orders", is_key=False)
        'orders-value'
    """
    return f"{topic}-key" if is_key else f"{topic}-value"


@runtime_checkable
class SchemaRegistryClientLike(Protocol):
    """The least a Schema Registry client must do for :class:`SchemaRegistryAvroSerde`.

    confluent-kafka's ``SchemaRegistryClient`` (which has ``register_schema``
    and ``get_schema`` taking/returning ``Schema`` objects) is also accepted
    as it is. ``get_schema`` may return the schema text or an object with a
    ``schema_str`` attribute. To use ``auto_register=False`` a client of your
    own also needs ``lookup(subject, schema_str) -> int``.
    """

    def register(self, subject: str, schema_str: str) -> int:
        """Register ``schema_str`` under ``subject`` (idempotent); return its id."""
        ...

    def get_schema(self, schema_id: int) -> Any:
        """The schema with id ``schema_id``, as text or an object with ``schema_str``."""
        ...


class _Registry:
    """Adapts confluent-kafka's ``SchemaRegistryClient`` or a plain client to one API."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.confluent = hasattr(client, "register_schema") and hasattr(client, "get_schema")
        if not self.confluent and not (
            hasattr(client, "register") and hasattr(client, "get_schema")
        ):
            raise TypeError(
                "SchemaRegistryAvroSerde needs a Schema Registry client with "
                "register_schema/get_schema (confluent_kafka.schema_registry."
                f"SchemaRegistryClient) or register/get_schema; got {type(client).__name__}"
            )

    @staticmethod
    def _schema(schema_str: str) -> Any:
        from confluent_kafka.schema_registry import Schema

        return Schema(schema_str, "AVRO")

    def register(self, subject: str, schema_str: str) -> int:
        if self.confluent:
            return int(self.client.register_schema(subject, self._schema(schema_str)))
        return int(self.client.register(subject, schema_str))

    def lookup(self, subject: str, schema_str: str) -> int:
        if self.confluent:
            return int(self.client.lookup_schema(subject, self._schema(schema_str)).schema_id)
        lookup = getattr(self.client, "lookup", None)
        if lookup is None:
            raise TypeError(
                f"{type(self.client).__name__} has no lookup(subject, schema_str); "
                "use auto_register=True"
            )
        return int(lookup(subject, schema_str))

    def get_schema(self, schema_id: int) -> str:
        result = self.client.get_schema(schema_id)
        if isinstance(result, str):
            return result
        schema_type = getattr(result, "schema_type", None) or "AVRO"
        if schema_type != "AVRO":
            raise ValueError(f"schema id {schema_id} is a {schema_type} schema, not Avro")
        if getattr(result, "references", None):
            raise ValueError(
                f"schema id {schema_id} has schema references, which kstreams does not resolve"
            )
        return str(result.schema_str)


class SchemaRegistryAvroSerde(Serde[Any]):
    """Avro in the Confluent Schema Registry wire format (magic byte 0, schema id, Avro binary).

    Serializing registers the serde's schema (or looks it up when
    ``auto_register=False``) under the subject ``<topic>-value`` (or
    ``<topic>-key`` when ``is_key``), once per topic, then prefixes every
    record with the returned id. Deserializing fetches the writer's schema by
    the id in the record, once per id, and reads the record with it --
    resolved to the serde's own schema when one was given and differs, so
    readers see one shape across schema versions (Avro schema evolution).

    Kafka Streams also writes a value serde's data to changelog and
    repartition topics; with the default strategy each such topic gets its own
    subject, as in Java.

    Args:
        client: A Schema Registry client: confluent-kafka's
            ``SchemaRegistryClient``, or any object with
            ``register(subject, schema_str) -> id`` and ``get_schema(id) -> str``
            (see :class:`SchemaRegistryClientLike`).
        schema: The writer (and reader) schema. May be omitted for a serde that
            only deserializes, which then returns records as they were written.
        is_key: Whether the serde is for record keys (subject suffix ``-key``).
        auto_register: Register the schema when serializing (Confluent's
            ``auto.register.schemas``, default True); if False, it must already
            be registered under the subject.
        subject_name_strategy: ``(topic, is_key) -> subject``; defaults to
            :func:`topic_name_strategy`.
        validate: Check each record against the schema before writing.

    Example::

        from confluent_kafka.schema_registry import SchemaRegistryClient
        registry = SchemaRegistryClient({"url": "http://localhost:8081"})
        serde = SchemaRegistryAvroSerde(registry, schema)
        data = serde.serialize("orders", {"id": 1})  # b'\\x00' + id + Avro
    """

    def __init__(
        self,
        client: Any,
        schema: AvroSchema | None = None,
        *,
        is_key: bool = False,
        auto_register: bool = True,
        subject_name_strategy: Callable[[str, bool], str] = topic_name_strategy,
        validate: bool = False,
    ) -> None:
        fastavro = _require_fastavro()
        self._fastavro = fastavro
        self._registry = _Registry(client)
        self.is_key = is_key
        self.auto_register = auto_register
        self._subject_name_strategy = subject_name_strategy
        self._validate = validate
        self._parsed: Any = None
        self.schema_str: str | None = None
        if schema is not None:
            self._parsed, self.schema_str = _load_schema(
                fastavro, schema, "SchemaRegistryAvroSerde"
            )
        self._writer: Callable[..., Any] = fastavro.schemaless_writer
        self._reader: Callable[..., Any] = fastavro.schemaless_reader
        self._validator: Callable[..., Any] = fastavro.validation.validate
        # topic -> the 5-byte header (magic byte + id of our schema under its subject)
        self._header_by_topic: dict[str, bytes] = {}
        # schema id -> (writer schema, reader schema or None when they are the same)
        self._schemas_by_id: dict[int, tuple[Any, Any]] = {}

    def subject(self, topic: str) -> str:
        """The subject this serde uses for ``topic``, e.g. ``"orders-value"``."""
        return self._subject_name_strategy(topic, self.is_key)

    def _header(self, topic: str) -> bytes:
        if self._parsed is None or self.schema_str is None:
            raise SerializationError(
                f"SchemaRegistryAvroSerde was created without a schema, so it cannot "
                f"serialize (topic {topic!r}); pass schema="
            )
        subject = self.subject(topic)
        try:
            if self.auto_register:
                schema_id = self._registry.register(subject, self.schema_str)
            else:
                schema_id = self._registry.lookup(subject, self.schema_str)
        except Exception as exc:
            action = "register" if self.auto_register else "look up"
            raise SerializationError(
                f"SchemaRegistryAvroSerde could not {action} its schema under subject "
                f"{subject!r} (topic {topic!r}): {type(exc).__name__}: {exc}"
            ) from exc
        header = _WIRE_HEADER.pack(_MAGIC_BYTE, schema_id)
        self._header_by_topic[topic] = header
        # Records we wrote read back with no schema resolution.
        self._schemas_by_id.setdefault(schema_id, (self._parsed, None))
        return header

    def _schemas(self, schema_id: int, topic: str) -> tuple[Any, Any]:
        try:
            writer_str = self._registry.get_schema(schema_id)
            writer = self._fastavro.parse_schema(json.loads(writer_str))
        except Exception as exc:
            raise DeserializationError(
                f"SchemaRegistryAvroSerde could not get the Avro schema with id {schema_id} "
                f"from the registry (topic {topic!r}): {type(exc).__name__}: {exc}"
            ) from exc
        reader = None if self._parsed is None or self._parsed == writer else self._parsed
        self._schemas_by_id[schema_id] = (writer, reader)
        return writer, reader

    def serialize(self, topic: str, data: Any, headers: Headers = None) -> bytes | None:
        if data is None:
            return None
        header = self._header_by_topic.get(topic)
        if header is None:
            header = self._header(topic)
        out = BytesIO()
        out.write(header)
        try:
            if self._validate:
                self._validator(data, self._parsed, raise_errors=True)
            self._writer(out, self._parsed, data)
        except Exception as exc:
            raise _write_error(
                self._fastavro, "SchemaRegistryAvroSerde", topic, data, self._parsed, exc
            ) from exc
        return out.getvalue()

    def deserialize(self, topic: str, data: bytes | None, headers: Headers = None) -> Any:
        if data is None:
            return None
        try:
            magic, schema_id = _WIRE_HEADER.unpack_from(data)
        except (struct.error, TypeError):
            raise DeserializationError(
                f"SchemaRegistryAvroSerde: data from topic {topic!r} is too short for the "
                f"Schema Registry wire format (magic byte and 4-byte schema id): "
                f"{_preview(data)}"
            ) from None
        if magic != _MAGIC_BYTE:
            raise DeserializationError(
                f"SchemaRegistryAvroSerde: unknown magic byte {magic} in data from topic "
                f"{topic!r} (expected 0, the Schema Registry wire format): {_preview(data)}"
            )
        schemas = self._schemas_by_id.get(schema_id)
        if schemas is None:
            schemas = self._schemas(schema_id, topic)
        body = BytesIO(data)
        body.seek(_WIRE_HEADER.size)
        try:
            return self._reader(body, schemas[0], schemas[1])
        except Exception as exc:
            raise DeserializationError(
                f"SchemaRegistryAvroSerde could not read data from topic {topic!r} with "
                f"schema id {schema_id}: {type(exc).__name__}: {exc}; "
                f"data starts with {_preview(data)}"
            ) from exc

    def __repr__(self) -> str:
        return (
            f"SchemaRegistryAvroSerde({type(self._registry.client).__name__}, is_key={self.is_key})"
        )
