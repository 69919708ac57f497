"""A ``KafkaStreams`` application run by a test: started, run until a condition holds, closed.

:class:`StreamsApp` builds the client from a topology and a config with what a test must not
share filled in (a unique ``application.id``, a ``state.dir`` of its own, the test broker, a
short commit interval), waits until it is RUNNING, and :meth:`StreamsApp.run_until` polls a
condition with a deadline; the failure says what was last seen and in which state the app was.
The pytest plugin's ``streams_app`` fixture makes them and closes every one after the test.

Example (outside pytest; ``bootstrap`` is a broker's ``host:port``)::

    with StreamsApp(topology, {"default.value.serde": Serdes.String},
                    bootstrap_servers=bootstrap, state_dir=tmp_dir) as app:
        app.run_until(lambda: len(read_topic(bootstrap, "out")) >= 3)
"""

from __future__ import annotations

import inspect
import os
import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # kstreams' runtime is imported when an app is made, not with the plugin
    from kstreams.runtime.kafka_streams import KafkaStreams
    from kstreams.topology.topology import Topology

__all__ = ["DEFAULT_COMMIT_INTERVAL_MS", "StreamsApp", "unique_application_id"]

T = TypeVar("T")

DEFAULT_COMMIT_INTERVAL_MS = 100
"""``commit.interval.ms`` unless the config sets it: record caches forward, and offsets are
committed, ten times a second (Kafka Streams' default, 30 s, is long for a test)."""

_STOPPED = ("PENDING_SHUTDOWN", "NOT_RUNNING", "PENDING_ERROR", "ERROR")
_SHOWN_CHARS = 2000


def unique_application_id(prefix: str = "app") -> str:
    """``<prefix>-<8 hex digits>``: an ``application.id`` (and consumer group) of its own.

    ``prefix`` is cut to 60 characters and anything but letters, digits, ``.``, ``_`` and ``-``
    becomes ``-``, so the id is a valid group id and internal-topic prefix.
    """
    cleaned = re.sub(r"[^a-zA-Z0-9._-]+", "-", prefix).strip("-.")[:60] or "app"
    return f"{cleaned}-{uuid.uuid4().hex[:8]}"


class StreamsApp:
    """A :class:`~kstreams.KafkaStreams` built for a test, with its test-only settings.

    ``config`` is the application's own config; what it leaves out is filled in:
    ``application.id`` (:func:`unique_application_id` of ``name``), ``bootstrap.servers``
    (``bootstrap_servers``), ``state.dir`` (``state_dir``) and ``commit.interval.ms``
    (:data:`DEFAULT_COMMIT_INTERVAL_MS`). What it sets stays as it is. The client is built here
    (a bad config raises :class:`~kstreams.ConfigError` at once) and started by :meth:`start`;
    set a state listener or an uncaught-exception handler on :attr:`streams` before that.

    Use it as a context manager, or call :meth:`close`.

    Args:
        topology: the topology to run (``builder.build()``).
        config: the application's config (a dict); may be empty.
        bootstrap_servers: the broker to use unless ``config`` names one.
        state_dir: the state directory unless ``config`` names one (a test's ``tmp_path``).
        name: the prefix of the generated ``application.id``.
    """

    def __init__(
        self,
        topology: Topology,
        config: Mapping[str, Any] | None = None,
        *,
        bootstrap_servers: str,
        state_dir: str | os.PathLike[str],
        name: str = "app",
    ) -> None:
        from kstreams.runtime.kafka_streams import KafkaStreams

        settings = dict(config or {})
        #: Whether :attr:`application_id` was generated here (so its internal topics are ours).
        self.generated_application_id = "application.id" not in settings
        settings.setdefault("application.id", unique_application_id(name))
        settings.setdefault("bootstrap.servers", bootstrap_servers)
        settings.setdefault("state.dir", os.fspath(state_dir))
        settings.setdefault("commit.interval.ms", DEFAULT_COMMIT_INTERVAL_MS)
        #: The config the client was built with.
        self.config: dict[str, Any] = settings
        #: The client; its whole API (``store()``, ``metrics()``, ``state``...) is there.
        self.streams: KafkaStreams = KafkaStreams(topology, settings)

    @property
    def application_id(self) -> str:
        """The ``application.id`` (also the consumer group and the internal topics' prefix)."""
        return str(self.config["application.id"])

    @property
    def bootstrap_servers(self) -> str:
        """The brokers the app talks to."""
        return str(self.config["bootstrap.servers"])

    def __enter__(self) -> StreamsApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self, *, wait_running: bool = True, timeout: float = 60.0) -> StreamsApp:
        """Start the client and, unless ``wait_running`` is False, wait until it is RUNNING.

        Raises:
            AssertionError: the app stopped (its error as the cause) or was not RUNNING within
                ``timeout`` seconds.
            kstreams.StreamsError: what ``KafkaStreams.start()`` raises (unreachable cluster,
                missing topics).
        """
        self.streams.start()
        if wait_running:
            self.run_until(
                lambda: self.streams.state.name == "RUNNING", timeout, what="the state RUNNING"
            )
        return self

    def run_until(
        self,
        condition: Callable[[], T],
        timeout: float = 60.0,
        *,
        what: str | Callable[[], Any] | None = None,
        interval: float = 0.1,
    ) -> T:
        """Let the app run until ``condition()`` returns something truthy, and return that.

        ``condition`` may also assert: an ``AssertionError`` means "not yet", and its message
        is what the failure shows (so ``def check(): assert counts() == expected; return True``
        fails showing both sides). Store reads that fail because a rebalance is under way or
        the store moved (``StreamsRebalancingError``, ``StateStoreMigratedError``: Kafka
        Streams' retriable store errors) mean "not yet" too. ``what`` describes the wait in the failure: a string, or a
        function called then (e.g. ``lambda: f"counts {counts()}"``).

        Example::

            app.run_until(lambda: len(read_topic(out)) >= 3, timeout=30, what="3 outputs")

        Raises:
            AssertionError: the app stopped (PENDING_ERROR, ERROR, NOT_RUNNING...; its error
                is the cause), or ``timeout`` seconds passed; the message names the
                condition, the last value or assertion it gave, the app's state and metrics.
        """
        from kstreams.state.errors import StateStoreMigratedError, StreamsRebalancingError

        retriable = (StreamsRebalancingError, StateStoreMigratedError)
        deadline = time.monotonic() + timeout
        last: Any = None
        failed: AssertionError | None = None
        while True:
            try:
                result = condition()
            except AssertionError as exc:
                failed = exc
            except retriable as exc:  # a rebalance (e.g. a task's second assignment)
                failed = AssertionError(f"{type(exc).__name__}: {exc}")
            else:
                if result:
                    return result
                last, failed = result, None
            state = self.streams.state.name
            if state in _STOPPED:
                error = self.streams.error
                raise AssertionError(
                    f"app {self.application_id!r} stopped ({state}"
                    f"{f': {error!r}' if error is not None else ''}) while waiting for "
                    f"{_describe(condition, what)}; {_last_seen(last, failed)}"
                ) from error
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"{_describe(condition, what)} did not hold within {timeout}s; "
                    f"{_last_seen(last, failed)}; app {self.application_id!r} is {state}, "
                    f"metrics {self.streams.metrics()}"
                )
            time.sleep(interval)

    def close(self, timeout: float = 60.0) -> None:
        """Close the client (it commits and leaves the group); a no-op once closed.

        Raises:
            AssertionError: it did not reach NOT_RUNNING (or ERROR) within ``timeout`` seconds.
        """
        if not self.streams.close(timeout):
            raise AssertionError(
                f"app {self.application_id!r} did not close within {timeout}s "
                f"(state {self.streams.state.name})"
            )

    def __repr__(self) -> str:
        return f"<StreamsApp {self.application_id} {self.streams.state.name}>"


def _describe(condition: Callable[[], Any], what: str | Callable[[], Any] | None) -> str:
    if callable(what):
        try:
            return str(what())
        except Exception as exc:  # the description must not hide the failure
            return f"{_source(condition)} (describing it failed: {exc!r})"
    return what or _source(condition)


def _source(condition: Callable[[], Any]) -> str:
    """The condition's code when it is a lambda (``lambda: ...``), else its name."""
    name = getattr(condition, "__name__", None) or repr(condition)
    if name == "<lambda>":
        try:
            source = inspect.getsource(condition).strip()
        except (OSError, TypeError):
            return "the condition (a lambda)"
        start = source.find("lambda")
        return _cut(_lambda_only(source[start:]) if start >= 0 else source, 200)
    return f"{name}()"


def _lambda_only(text: str) -> str:
    """``lambda: ...`` up to the ``,`` or ``)`` that ends it in the call it was written in."""
    depth = 0
    for i, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                return text[:i].strip()
        elif char in ",\n" and depth == 0:
            return text[:i].strip()
    return text.strip()


def _last_seen(last: Any, failed: AssertionError | None) -> str:
    if failed is not None:
        text = str(failed).strip() or type(failed).__name__
        return f"last seen: {_cut(text, _SHOWN_CHARS)}"
    seen = f"last seen: {_cut(repr(last), _SHOWN_CHARS)}"
    if last is None:
        seen += " (a condition that only asserts should end with `return True`)"
    return seen


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"
