"""The user's pluggable objects in a StreamsConfig, resolved: serdes, handlers, extractor.

:class:`PluginsMixin` is the part of :class:`~kstreams.config.StreamsConfig` that turns the
configured default serdes, exception handlers, timestamp extractor and RocksDB config setter
(instances, classes or importable names) into the objects the runtime uses.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from kstreams.config.parsers import _import_name, _invalid
from kstreams.errors import ConfigError
from kstreams.handlers import (
    ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG as _DLQ_KEY,
)
from kstreams.handlers import (
    DeserializationExceptionHandler,
    ProcessingExceptionHandler,
    ProductionExceptionHandler,
)
from kstreams.serde.base import Serde

__all__ = ["PluginsMixin"]


class PluginsMixin:
    """Serde, handler and extractor access of :class:`~kstreams.config.StreamsConfig` (a base)."""

    # Set by StreamsConfig: parsed Streams values, and the user's keys and values as given.
    _values: dict[str, Any]
    _originals: dict[str, Any]

    DEFAULT_KEY_SERDE_CLASS_CONFIG: ClassVar[str]
    DEFAULT_VALUE_SERDE_CLASS_CONFIG: ClassVar[str]
    DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG: ClassVar[str]

    if TYPE_CHECKING:

        @property
        def dead_letter_queue_topic(self) -> str | None: ...

    def default_key_serde(self) -> Serde[Any]:
        """The ``default.key.serde`` as an instance.

        Raises:
            ConfigError: none is configured (as Java), or it cannot be resolved.
        """
        return self._serde(self.DEFAULT_KEY_SERDE_CLASS_CONFIG, "key")

    def default_value_serde(self) -> Serde[Any]:
        """The ``default.value.serde`` as an instance.

        Raises:
            ConfigError: none is configured (as Java), or it cannot be resolved.
        """
        return self._serde(self.DEFAULT_VALUE_SERDE_CLASS_CONFIG, "value")

    def _serde(self, key: str, what: str) -> Serde[Any]:
        spec = self._values[key]
        if spec is None:
            const = f"DEFAULT_{what.upper()}_SERDE_CLASS_CONFIG"
            raise ConfigError(
                f"Please specify a {what} serde or set one through StreamsConfig#{const} ({key!r})"
            )
        if isinstance(spec, str):
            spec = self._resolve_serde_name(key, spec)
        if isinstance(spec, Serde):
            return spec
        try:
            return spec()
        except Exception as exc:
            raise ConfigError(f"Failed to configure {what} serde {spec!r}: {exc}") from exc

    @staticmethod
    def _resolve_serde_name(key: str, name: str) -> Any:
        java_prefix = "org.apache.kafka.common.serialization.Serdes"
        simple = None
        if name.startswith(java_prefix):
            simple = name[len(java_prefix) :].lstrip("$.")
        elif "." not in name and ":" not in name:
            simple = name
        try:
            if simple is not None:
                primitives = importlib.import_module("kstreams.serde.primitives")
                obj = getattr(primitives, simple)
            else:
                obj = _import_name(name)
        except (ImportError, AttributeError) as exc:
            raise _invalid(key, name, f"cannot resolve serde ({exc})") from None
        if isinstance(obj, Serde) or (isinstance(obj, type) and issubclass(obj, Serde)):
            return obj
        raise _invalid(key, name, "does not name a Serde")

    @property
    def deserialization_exception_handler(self) -> DeserializationExceptionHandler:
        """A configured deserialization exception handler (new instance if given a class)."""
        return self._handler("deserialization.exception.handler")

    @property
    def production_exception_handler(self) -> ProductionExceptionHandler:
        """A configured production exception handler (new instance if given a class)."""
        return self._handler("production.exception.handler")

    @property
    def processing_exception_handler(self) -> ProcessingExceptionHandler:
        """A configured processing exception handler (new instance if given a class)."""
        return self._handler("processing.exception.handler")

    def _handler(self, key: str) -> Any:
        spec = self._values[key]
        handler = spec() if isinstance(spec, type) else spec
        configs = dict(self._originals)
        configs[_DLQ_KEY] = self.dead_letter_queue_topic
        handler.configure(configs)
        return handler

    @property
    def timestamp_extractor(self) -> Any | None:
        """``default.timestamp.extractor``: an object with ``extract(record, partition_time)``.

        None means the default: use the record's timestamp and fail on an
        invalid (negative) one. A plain function is wrapped so it has ``extract``.

        Raises:
            ConfigError: a named extractor cannot be imported or instantiated.
        """
        spec = self._values["default.timestamp.extractor"]
        if spec is None:
            return None
        key = self.DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG
        if isinstance(spec, str):
            java_prefix = "org.apache.kafka.streams.processor."
            name = spec
            if name.startswith(java_prefix):
                name = "kstreams.processor.timestamps." + name[len(java_prefix) :]
            try:
                spec = _import_name(name)
            except (ImportError, AttributeError) as exc:
                raise _invalid(key, self._values[key], f"cannot import ({exc})") from None
        if isinstance(spec, type):
            try:
                spec = spec()
            except Exception as exc:
                raise _invalid(key, self._values[key], f"cannot instantiate ({exc})") from exc
        if callable(getattr(spec, "extract", None)):
            return spec
        if callable(spec):
            return _FunctionTimestampExtractor(spec)
        raise _invalid(key, self._values[key], "has no extract(record, partition_time) method")

    @property
    def rocksdb_config_setter(self) -> Any | None:
        """``rocksdb.config.setter`` (an object, class or importable name), or None."""
        spec = self._values["rocksdb.config.setter"]
        if isinstance(spec, str):
            try:
                return _import_name(spec)
            except (ImportError, AttributeError) as exc:
                raise _invalid("rocksdb.config.setter", spec, f"cannot import ({exc})") from None
        return spec


class _FunctionTimestampExtractor:
    """Gives a plain ``(record, partition_time) -> int`` function an ``extract`` method."""

    def __init__(self, function: Callable[[Any, int], int]) -> None:
        self._function = function

    def extract(self, record: Any, partition_time: int) -> int:
        """Call the wrapped function."""
        return self._function(record, partition_time)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._function!r})"
