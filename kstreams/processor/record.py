"""The immutable record of the Processor API (Java: ``org.apache.kafka.streams.processor.api.Record``)."""

from __future__ import annotations

from typing import Any

from kstreams.serde.base import Headers


class Record:
    """A key, value, timestamp (epoch milliseconds) and headers, passed to ``Processor.process``.

    Records are immutable: ``with_key``, ``with_value``, ``with_timestamp`` and
    ``with_headers`` return new records.

    Example::

        def process(self, record):
            self.context.forward(record.with_value(record.value.upper()))
    """

    __slots__ = ("headers", "key", "timestamp", "value")

    key: Any
    value: Any
    timestamp: int
    headers: Headers

    def __init__(self, key: Any, value: Any, timestamp: int, headers: Headers = None) -> None:
        if timestamp is None or timestamp < 0:
            raise ValueError(f"Timestamp must not be negative or None, got {timestamp!r}")
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "timestamp", timestamp)
        object.__setattr__(self, "headers", headers)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Record is immutable; use with_key/with_value/with_timestamp")

    def with_key(self, key: Any) -> Record:
        """A copy with another key."""
        return Record(key, self.value, self.timestamp, self.headers)

    def with_value(self, value: Any) -> Record:
        """A copy with another value."""
        return Record(self.key, value, self.timestamp, self.headers)

    def with_timestamp(self, timestamp: int) -> Record:
        """A copy with another timestamp (epoch milliseconds)."""
        return Record(self.key, self.value, timestamp, self.headers)

    def with_headers(self, headers: Headers) -> Record:
        """A copy with other headers."""
        return Record(self.key, self.value, self.timestamp, headers)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return (self.key, self.value, self.timestamp, self.headers) == (
            other.key,
            other.value,
            other.timestamp,
            other.headers,
        )

    def __hash__(self) -> int:
        return hash((self.key, self.value, self.timestamp))

    def __repr__(self) -> str:
        return (
            f"Record(key={self.key!r}, value={self.value!r}, "
            f"timestamp={self.timestamp}, headers={self.headers!r})"
        )
