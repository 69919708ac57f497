"""Parsers of Streams config values: ``(key, raw value) -> parsed value``, or ConfigError.

Each parser coerces what users write (``"100"`` -> ``100``) and rejects bad values with a
:class:`~kstreams.errors.ConfigError` naming the key and the value. Exception handlers may be
given by alias (``log_and_continue``), Java class name or importable Python name.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from kstreams.config.secrets import shown
from kstreams.errors import ConfigError
from kstreams.handlers import (
    DefaultProductionExceptionHandler,
    DeserializationExceptionHandler,
    LogAndContinueExceptionHandler,
    LogAndContinueProcessingExceptionHandler,
    LogAndFailExceptionHandler,
    LogAndFailProcessingExceptionHandler,
    ProcessingExceptionHandler,
    ProductionExceptionHandler,
)
from kstreams.serde.base import Serde

Parser = Callable[[str, Any], Any]

_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")


def _invalid(key: str, value: Any, reason: str) -> ConfigError:
    """The error for a bad value; a sensitive key's value is masked (:mod:`.secrets`)."""
    return ConfigError(f"Invalid value {shown(key, value)} for configuration {key}: {reason}")


def _to_int(key: str, value: Any) -> int:
    if isinstance(value, bool):
        raise _invalid(key, value, "expected an integer, not a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise _invalid(key, value, "not a valid integer") from None
    raise _invalid(key, value, f"expected an integer, got {type(value).__name__}")


def _int(min_value: int | None = None, *, allow: tuple[int, ...] = ()) -> Parser:
    def parse(key: str, value: Any) -> int:
        number = _to_int(key, value)
        if number in allow:
            return number
        if min_value is not None and number < min_value:
            extra = f" (or {', '.join(map(str, allow))})" if allow else ""
            raise _invalid(key, value, f"value must be at least {min_value}{extra}")
        return number

    return parse


def _string(*, non_empty: bool = False, choices: tuple[str, ...] | None = None) -> Parser:
    def parse(key: str, value: Any) -> str:
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if not isinstance(value, str):
            raise _invalid(key, value, f"expected a string, got {type(value).__name__}")
        if non_empty and not value.strip():
            raise _invalid(key, value, "must not be empty")
        if choices is not None and value not in choices:
            raise _invalid(key, value, f"must be one of {', '.join(choices)}")
        return value

    return parse


def _application_id(key: str, value: Any) -> str:
    text = _string(non_empty=True)(key, value)
    if not _TOPIC_NAME.match(text):
        raise _invalid(
            key,
            value,
            "must contain only ASCII letters, digits, '.', '_' and '-' "
            "(it prefixes internal topic names)",
        )
    return text


def _bootstrap_servers(key: str, value: Any) -> str:
    if isinstance(value, (list, tuple)):
        parts = [str(p).strip() for p in value]
    elif isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
    else:
        raise _invalid(key, value, "expected a 'host:port,...' string or a list of them")
    parts = [p for p in parts if p]
    if not parts:
        raise _invalid(key, value, "at least one broker address is required")
    return ",".join(parts)


_PROCESSING_GUARANTEES = ("at_least_once", "exactly_once_v2")


def _processing_guarantee(key: str, value: Any) -> str:
    text = _string()(key, value)
    if text in ("exactly_once", "exactly_once_beta"):
        raise _invalid(
            key,
            value,
            f"'{text}' was removed in Kafka Streams 4.0; use 'exactly_once_v2' instead",
        )
    if text not in _PROCESSING_GUARANTEES:
        raise _invalid(key, value, f"must be one of {', '.join(_PROCESSING_GUARANTEES)}")
    return text


def _group_protocol(key: str, value: Any) -> str:
    """``group.protocol``: the stream threads' group protocol, ``classic`` or ``consumer``
    (KIP-848); Kafka Streams' ``streams`` (KIP-1071) is parsed, then refused as unsupported."""
    text = _string()(key, value).strip().lower()
    if text not in ("classic", "consumer", "streams"):
        raise _invalid(key, value, "must be one of classic, consumer, streams")
    return text


_OPTIMIZATIONS = (
    "reuse.ktable.source.topics",
    "merge.repartition.topics",
    "single.store.self.join",
)


def _topology_optimization(key: str, value: Any) -> str:
    text = _string()(key, value)
    parts = [p.strip() for p in text.split(",")]
    if ("none" in parts or "all" in parts) and len(parts) > 1:
        raise _invalid(key, value, "'none' and 'all' cannot be combined with other values")
    for part in parts:
        if part not in ("none", "all", *_OPTIMIZATIONS):
            raise _invalid(
                key,
                value,
                f"must be 'none', 'all' or a comma-separated list of {', '.join(_OPTIMIZATIONS)}",
            )
    return ",".join(parts)


def _metrics_level(key: str, value: Any) -> str:
    text = _string()(key, value).upper()
    if text not in ("INFO", "DEBUG", "TRACE"):
        raise _invalid(key, value, "must be one of INFO, DEBUG, TRACE")
    return text


def _dlq_topic(key: str, value: Any) -> str | None:
    if value is None:
        return None
    text = _string()(key, value)
    if not _TOPIC_NAME.match(text):
        raise _invalid(key, value, "not a valid topic name")
    return text


def _serde_spec(key: str, value: Any) -> Any:
    """A Serde instance, a Serde class, an importable name, or None (resolved lazily)."""
    if value is None or isinstance(value, Serde):
        return value
    if isinstance(value, type) and issubclass(value, Serde):
        return value
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise _invalid(key, value, "expected a Serde instance, a Serde class or an importable name")


def _object_spec(key: str, value: Any) -> Any:
    """Any object, class or importable name; None means unset."""
    if value is None or not isinstance(value, str):
        return value
    if not value.strip():
        raise _invalid(key, value, "must not be empty")
    return value.strip()


def _timestamp_extractor_spec(key: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return _object_spec(key, value)
    if isinstance(value, type) or callable(getattr(value, "extract", None)) or callable(value):
        return value
    raise _invalid(
        key, value, "expected an object with extract(record, partition_time), a class or a callable"
    )


def _import_name(path: str) -> Any:
    """Import ``pkg.mod.Name`` or ``pkg.mod:Name``."""
    if ":" in path:
        module_name, _, attr_path = path.partition(":")
        obj: Any = importlib.import_module(module_name)
        for part in attr_path.split("."):
            obj = getattr(obj, part)
        return obj
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for part in parts[cut:]:
                obj = getattr(obj, part)
        except AttributeError:
            continue
        return obj
    raise ImportError(f"cannot import {path!r}")


_JAVA_ERRORS = "org.apache.kafka.streams.errors."

_DESERIALIZATION_HANDLERS: dict[str, type[DeserializationExceptionHandler]] = {
    "log_and_fail": LogAndFailExceptionHandler,
    "log_and_continue": LogAndContinueExceptionHandler,
    "LogAndFailExceptionHandler": LogAndFailExceptionHandler,
    "LogAndContinueExceptionHandler": LogAndContinueExceptionHandler,
    _JAVA_ERRORS + "LogAndFailExceptionHandler": LogAndFailExceptionHandler,
    _JAVA_ERRORS + "LogAndContinueExceptionHandler": LogAndContinueExceptionHandler,
}
_PROCESSING_HANDLERS: dict[str, type[ProcessingExceptionHandler]] = {
    "log_and_fail": LogAndFailProcessingExceptionHandler,
    "log_and_continue": LogAndContinueProcessingExceptionHandler,
    "LogAndFailProcessingExceptionHandler": LogAndFailProcessingExceptionHandler,
    "LogAndContinueProcessingExceptionHandler": LogAndContinueProcessingExceptionHandler,
    _JAVA_ERRORS + "LogAndFailProcessingExceptionHandler": LogAndFailProcessingExceptionHandler,
    _JAVA_ERRORS
    + "LogAndContinueProcessingExceptionHandler": LogAndContinueProcessingExceptionHandler,
}
_PRODUCTION_HANDLERS: dict[str, type[ProductionExceptionHandler]] = {
    "fail": DefaultProductionExceptionHandler,
    "default": DefaultProductionExceptionHandler,
    "DefaultProductionExceptionHandler": DefaultProductionExceptionHandler,
    _JAVA_ERRORS + "DefaultProductionExceptionHandler": DefaultProductionExceptionHandler,
}


def _handler_spec(base: type, aliases: Mapping[str, type]) -> Parser:
    """Resolve a handler given as instance, class, alias or importable name."""

    def parse(key: str, value: Any) -> Any:
        if isinstance(value, base):
            return value
        if isinstance(value, type) and issubclass(value, base):
            return value
        if isinstance(value, str):
            name = value.strip()
            if name in aliases:
                return aliases[name]
            if name.lower() in aliases:
                return aliases[name.lower()]
            try:
                obj = _import_name(name)
            except (ImportError, AttributeError, ValueError) as exc:
                choices = ", ".join(sorted(k for k in aliases if "." not in k))
                raise _invalid(
                    key, value, f"not one of {choices} and not importable ({exc})"
                ) from None
            return parse(key, obj)
        raise _invalid(
            key,
            value,
            f"expected a {base.__name__} instance or subclass, or one of "
            f"{', '.join(sorted(k for k in aliases if '.' not in k))}",
        )

    return parse
