"""What a librdkafka client said: its log lines forwarded to a Python logger, its last errors kept.

:class:`ClientDiagnostics` is installed as a client's ``logger`` and ``error_cb`` so that an
error kstreams raises about that client (e.g. an unreachable cluster at start-up) can quote
librdkafka's own reason per broker address, and tell an authentication failure (SASL refused,
TLS handshake failed: no retry can succeed) from a broker that is not there (yet). Both arrive
only while the client is polled.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError

__all__ = ["ClientDiagnostics"]

_AFTER = re.compile(r"\s*\(after \d+ms in state \w+(?:, \d+ identical error\(s\) suppressed)?\)")
_AUTH_CODES = frozenset({KafkaError._AUTHENTICATION, KafkaError._SSL})
"""librdkafka's error codes of a refused SASL authentication and of a failed TLS handshake."""
_TLS_ALERT = re.compile(r"ssl/tls alert|SSL alert number", re.IGNORECASE)
"""A TLS alert from the broker (e.g. ``bad certificate``: no or an untrusted client certificate),
which librdkafka reports as a transport error."""
_REPEAT_WINDOW_S = 10.0
"""A log line identical to one forwarded less than this long ago is not forwarded again."""


class ClientDiagnostics:
    """A librdkafka client's ``logger`` and ``error_cb``: forwards, deduplicates, remembers.

    Log lines go to ``logger`` (the user's if they set one, else ``kstreams.client``); a line
    that repeats one forwarded within :data:`_REPEAT_WINDOW_S` is dropped (librdkafka retries a
    refused connection several times a second). Errors go to the user's ``error_cb`` if any.
    The last reason per broker (``"127.0.0.1:1/bootstrap"``) is kept for :meth:`reasons`.
    """

    def __init__(self, logger: Any, error_cb: Callable[[Any], None] | None = None) -> None:
        self._logger = logger
        self._user_error_cb = error_cb
        self._lock = threading.Lock()
        self._reasons: dict[str, str] = {}
        self._last_error: str | None = None
        self._auth_failures: dict[str, str] = {}
        self._forwarded: dict[str, float] = {}

    @classmethod
    def install(cls, conf: dict[str, Any], default_logger: logging.Logger) -> ClientDiagnostics:
        """Set ``conf``'s ``logger`` and ``error_cb`` to a new instance wrapping the user's own."""
        diagnostics = cls(conf.get("logger") or default_logger, conf.get("error_cb"))
        conf["logger"] = diagnostics
        conf["error_cb"] = diagnostics.error_cb
        return diagnostics

    # -- librdkafka's side ------------------------------------------------------------------
    def log(self, level: int, fmt: str, *args: Any) -> None:
        """Called by confluent-kafka for every librdkafka log line (``logger.log`` signature)."""
        message = fmt % args if args else fmt
        if level >= logging.WARNING:
            self._remember(message.rsplit("]: ", 1)[-1])
        key = _AFTER.sub("", message)
        now = time.monotonic()
        with self._lock:
            last = self._forwarded.get(key)
            if last is not None and now - last < _REPEAT_WINDOW_S:
                return
            if len(self._forwarded) > 1000:  # distinct lines only repeat within the window
                self._forwarded = {
                    k: t for k, t in self._forwarded.items() if now - t < _REPEAT_WINDOW_S
                }
            self._forwarded[key] = now
        self._logger.log(level, "%s", message)

    def error_cb(self, error: Any) -> None:
        """Called by confluent-kafka for every client-level error (``error_cb``)."""
        text = error.str() if hasattr(error, "str") else str(error)
        self._remember(text)
        code = error.code() if hasattr(error, "code") else None
        if code in _AUTH_CODES or _TLS_ALERT.search(text):
            broker, sep, reason = _AFTER.sub("", text).strip().partition(": ")
            with self._lock:
                if sep and "/" in broker and " " not in broker:
                    self._auth_failures[broker] = reason
                else:
                    self._auth_failures[""] = _AFTER.sub("", text).strip()
        if self._user_error_cb is not None:
            self._user_error_cb(error)

    def _remember(self, text: str) -> None:
        text = _AFTER.sub("", text).strip()
        broker, sep, reason = text.partition(": ")
        with self._lock:
            self._last_error = text
            if sep and "/" in broker and " " not in broker:
                self._reasons[broker] = reason

    # -- kstreams' side ---------------------------------------------------------------------
    def reasons(self) -> list[str]:
        """librdkafka's last reason per broker (``"<broker>: <reason>"``), else its last error."""
        with self._lock:
            if self._reasons:
                return [f"{broker}: {reason}" for broker, reason in self._reasons.items()]
            return [self._last_error] if self._last_error else []

    def authentication_failures(self) -> list[str]:
        """The brokers that refused this client's credentials or TLS handshake, with
        librdkafka's reason (``"<broker>: <reason>"``); empty if none did."""
        with self._lock:
            return [
                f"{broker}: {reason}" if broker else reason
                for broker, reason in self._auth_failures.items()
            ]

    def clear(self) -> None:
        """Forget the reasons gathered so far."""
        with self._lock:
            self._reasons.clear()
            self._auth_failures.clear()
            self._last_error = None
