"""A small HTTP server for interactive queries: any instance answers for any key.

Example::

    streams = KafkaStreams(topology, {..., "application.server": "host-1:7070"})
    streams.start()
    server = InteractiveQueryServer(streams).start()   # listens on host-1:7070
    # curl http://host-1:7070/stores/counts/apple -> {"store": "counts", "key": "apple", ...}
    ...
    server.close()
    streams.close()

Routes (all ``GET``, JSON answers):

- ``/stores/<store>/<key>``: the key's value. A key another instance hosts is forwarded to it
  (its ``application.server``, from :meth:`KafkaStreams.query_metadata_for_key`). Window
  stores: ``?from=<ms>&to=<ms>`` gives the key's windows in that range; session stores: the
  key's sessions; versioned stores: ``?as_of=<ms>``.
- ``/stores/<store>``: every entry (``?from=<key>&to=<key>``: a key range) of every instance,
  each partition read on its one active host (``?local=true``: this instance's only,
  ``&partitions=0,2``: those partitions, each here or 503). Window stores:
  ``?from=<ms>&to=<ms>`` over every key.
- ``/metadata``: :meth:`KafkaStreams.metadata_for_all_clients`;
  ``/metadata/<store>/<key>``: :meth:`KafkaStreams.query_metadata_for_key`.

Errors: 404 for an unknown store or a missing key, 400 for a bad key or parameter, 503 with
``Retry-After`` while the key's partition has no host (a rebalance), the store is restoring,
or the owner cannot be reached; the body is ``{"error": ..., "message": ...}``.

Keys arrive as URL text: ``key_parser`` (per store with ``key_parsers``) turns that into the
store's key (default ``str``; ``int`` for integer keys). Values become JSON through
:func:`to_jsonable` (or your ``to_json``). stdlib only (``http.server`` in a thread).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kstreams.errors import SerializationError
from kstreams.runtime.queries import StoreQueryParameters
from kstreams.runtime.streams_metadata import HostInfo
from kstreams.runtime.versioned_queries import ReadOnlyCompositeVersionedStore
from kstreams.runtime.window_queries import (
    ReadOnlyCompositeSessionStore,
    ReadOnlyCompositeWindowStore,
)
from kstreams.state.errors import InvalidStateStoreError, UnknownStateStoreError
from kstreams.windows import Windowed

__all__ = ["InteractiveQueryServer", "to_jsonable"]

log = logging.getLogger("kstreams.interactive")

FORWARDED_HEADER = "X-KStreams-Forwarded"
"""Set on a forwarded request: its receiver answers from local state or says 503, never
forwards again (two instances whose metadata disagree for a moment do not ping-pong)."""

RETRY_AFTER_S = 1
"""The ``Retry-After`` of a 503."""

MAX_TIME = 2**63 - 1


def to_jsonable(value: Any) -> Any:
    """A JSON-ready form of a store's key or value.

    Numbers, strings, booleans and None as they are; mappings, lists, tuples and sets as
    objects and lists; dataclasses and named tuples as objects; UTF-8 bytes as text, other bytes as
    ``{"base64": ...}``; windowed keys as ``{"key", "start", "end"}``; records with a value and
    a timestamp (``ValueAndTimestamp``, ``VersionedRecord``) as ``{"value", "timestamp"}``;
    anything else as ``str(value)``.
    """
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(raw).decode("ascii")}
    if isinstance(value, Windowed):
        return {
            "key": to_jsonable(value.key),
            "start": value.window.start,
            "end": value.window.end,
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "value") and hasattr(value, "timestamp"):
        return {"value": to_jsonable(value.value), "timestamp": value.timestamp}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):  # a NamedTuple
        return {str(k): to_jsonable(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    return str(value)


class _HttpError(Exception):
    def __init__(self, status: int, error: str, message: str, retry: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.retry = retry


def _unavailable(message: str) -> _HttpError:
    return _HttpError(503, "unavailable", message, retry=True)


class InteractiveQueryServer:
    """Serves ``streams``' stores over HTTP, forwarding keys hosted elsewhere (module notes).

    Args:
        streams: A ``KafkaStreams`` (with ``application.server`` set, for forwarding).
        host: The address to listen on (default: ``application.server``'s host; ``""`` or
            ``0.0.0.0``: every interface).
        port: The port (default: ``application.server``'s; 0: any free one).
        key_parser: Turns a key's URL text into the store's key (default ``str``).
        key_parsers: ``key_parser`` per store name.
        to_json: Turns keys and values into JSON-ready objects (default :func:`to_jsonable`).
        forward_timeout: Seconds to wait for another instance's answer.
    """

    def __init__(
        self,
        streams: Any,
        host: str | None = None,
        port: int | None = None,
        *,
        key_parser: Callable[[str], Any] = str,
        key_parsers: Mapping[str, Callable[[str], Any]] | None = None,
        to_json: Callable[[Any], Any] = to_jsonable,
        forward_timeout: float = 5.0,
    ) -> None:
        own: HostInfo | None = getattr(streams, "host_info", None)
        if port is None and own is None:
            raise ValueError(
                "InteractiveQueryServer needs a port: set application.server (host:port) on "
                "the KafkaStreams config, or pass port="
            )
        self.streams = streams
        self.host_info = own
        self._bind = (own.host if host is None and own is not None else host or "", port)
        if port is None:
            self._bind = (self._bind[0], own.port if own is not None else 0)
        self._key_parser = key_parser
        self._key_parsers = dict(key_parsers or {})
        self._to_json = to_json
        self._timeout = forward_timeout
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> InteractiveQueryServer:
        """Listen and serve from a daemon thread; returns self.

        Raises:
            OSError: The address cannot be bound (in use, not local).
        """
        if self._server is not None:
            raise RuntimeError("InteractiveQueryServer already started")
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                outer._handle(self)

            def log_message(self, fmt: str, *args: Any) -> None:
                log.debug("%s %s", self.address_string(), fmt % args)

        server = ThreadingHTTPServer(self._bind, Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            args=(0.1,),  # how often it looks for close(): closing takes at most that
            name="kstreams-interactive-queries",
            daemon=True,
        )
        self._thread.start()
        log.info("interactive queries served on http://%s:%d", *self.address)
        return self

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) listened on (the real port when 0 was asked)."""
        if self._server is None:
            return self._bind[0], int(self._bind[1] or 0)
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def close(self) -> None:
        """Stop serving (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> InteractiveQueryServer:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests -----------------------------------------------------------------------------
    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        url = urllib.parse.urlsplit(req.path)
        parts = [urllib.parse.unquote(p) for p in url.path.split("/") if p]
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        forwarded = req.headers.get(FORWARDED_HEADER) is not None
        try:
            if len(parts) == 1 and parts[0] == "metadata":
                status, body = 200, self._metadata()
            elif len(parts) == 3 and parts[0] == "metadata":
                status, body = 200, self._key_metadata(parts[1], parts[2])
            elif len(parts) == 2 and parts[0] == "stores":
                status, body = 200, self._all(parts[1], query, forwarded)
            elif len(parts) == 3 and parts[0] == "stores":
                status, body = self._key(parts[1], parts[2], query, req.path, forwarded)
            else:
                raise _HttpError(
                    404,
                    "not_found",
                    f"No route {url.path!r}: use /stores/<store>/<key>, /stores/<store>, "
                    "/metadata or /metadata/<store>/<key>",
                )
        except _HttpError as exc:
            self._send(req, exc.status, {"error": exc.error, "message": exc.message}, exc.retry)
            return
        except Exception as exc:  # a bug or a user callback: say so, keep serving
            log.exception("interactive query %s failed", req.path)
            self._send(req, 500, {"error": "internal", "message": f"{type(exc).__name__}: {exc}"})
            return
        self._send(req, status, body, status == 503)

    def _send(
        self, req: BaseHTTPRequestHandler, status: int, body: Any, retry: bool = False
    ) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(data)))
        if retry:
            req.send_header("Retry-After", str(RETRY_AFTER_S))
        req.end_headers()
        req.wfile.write(data)

    def _parse_key(self, store: str, text: str) -> Any:
        parser = self._key_parsers.get(store, self._key_parser)
        try:
            return parser(text)
        except Exception as exc:
            raise _HttpError(400, "bad_key", f"Key {text!r} of store {store!r}: {exc}") from exc

    def _store(self, name: str | StoreQueryParameters) -> Any:
        try:
            return self.streams.store(name)
        except UnknownStateStoreError as exc:
            raise _HttpError(404, "unknown_store", str(exc)) from exc
        except InvalidStateStoreError as exc:
            raise _unavailable(str(exc)) from exc

    @staticmethod
    def _int(query: Mapping[str, str], name: str, default: int) -> int:
        text = query.get(name)
        if text is None:
            return default
        try:
            return int(text)
        except ValueError:
            raise _HttpError(
                400, "bad_parameter", f"{name}={text!r} is not a timestamp (ms)"
            ) from None

    def _metadata(self) -> Any:
        try:
            clients = self.streams.metadata_for_all_clients()
        except InvalidStateStoreError as exc:
            raise _unavailable(str(exc)) from exc
        return [
            {
                "host": m.host_info.endpoint,
                "process_id": m.process_id,
                "state_store_names": sorted(m.state_store_names),
                "topic_partitions": sorted([t, p] for t, p in m.topic_partitions),
                "standby_state_store_names": sorted(m.standby_state_store_names),
                "standby_topic_partitions": sorted([t, p] for t, p in m.standby_topic_partitions),
            }
            for m in clients
        ]

    def _query_metadata(self, store: str, key: Any) -> Any:
        try:
            return self.streams.query_metadata_for_key(store, key)
        except UnknownStateStoreError as exc:
            raise _HttpError(404, "unknown_store", str(exc)) from exc
        except InvalidStateStoreError as exc:
            raise _unavailable(str(exc)) from exc
        except (SerializationError, ValueError, TypeError) as exc:  # the key does not serialize
            raise _HttpError(400, "bad_key", f"Key {key!r} of store {store!r}: {exc}") from exc

    def _key_metadata(self, store: str, text: str) -> Any:
        meta = self._query_metadata(store, self._parse_key(store, text))
        return {
            "active_host": meta.active_host.endpoint if meta.available else None,
            "standby_hosts": sorted(h.endpoint for h in meta.standby_hosts),
            "partition": meta.partition,
        }

    def _is_local(self, host: HostInfo) -> bool:
        own = self.host_info
        return own is not None and host == own

    def _key(
        self, store: str, text: str, query: Mapping[str, str], path: str, forwarded: bool
    ) -> tuple[int, Any]:
        key = self._parse_key(store, text)
        target: str | StoreQueryParameters = store
        if store not in self.streams.topology.global_stores and self.host_info is not None:
            meta = self._query_metadata(store, key)
            if not meta.available:
                raise _unavailable(
                    f"No instance hosts the partition of key {text!r} of store {store!r} right "
                    "now (a rebalance is under way): retry"
                )
            if not self._is_local(meta.active_host):
                if forwarded:
                    raise _unavailable(
                        f"{self.host_info} was asked for key {text!r} of store {store!r} by "
                        f"another instance, but its metadata says {meta.active_host} hosts "
                        "it (the metadata is settling after a rebalance): retry"
                    )
                return self._forward(meta.active_host, path)
            # only the key's partition: if its task left this instance since the metadata
            # said otherwise, the read raises (503, retry) instead of answering "not found"
            target = StoreQueryParameters(store, partition=meta.partition)
        view = self._store(target)
        try:
            return self._read_key(view, store, key, text, query)
        except UnknownStateStoreError as exc:
            raise _HttpError(404, "unknown_store", str(exc)) from exc
        except InvalidStateStoreError as exc:
            raise _unavailable(str(exc)) from exc

    def _read_key(
        self, view: Any, store: str, key: Any, text: str, query: Mapping[str, str]
    ) -> tuple[int, Any]:
        j = self._to_json
        body: dict[str, Any] = {"store": store, "key": j(key)}
        if self.host_info is not None:
            body["host"] = self.host_info.endpoint
        if isinstance(view, ReadOnlyCompositeWindowStore):
            lo = self._int(query, "from", 0)
            hi = self._int(query, "to", MAX_TIME)
            body["windows"] = [{"start": ts, "value": j(v)} for ts, v in view.fetch(key, lo, hi)]
            return 200, body
        if isinstance(view, ReadOnlyCompositeSessionStore):
            body["sessions"] = [
                {"start": w.window.start, "end": w.window.end, "value": j(v)}
                for w, v in view.fetch(key)
            ]
            return 200, body
        if isinstance(view, ReadOnlyCompositeVersionedStore):
            as_of = query.get("as_of")
            record = view.get(key, None if as_of is None else self._int(query, "as_of", 0))
            if record is None:
                raise _HttpError(404, "not_found", f"No value for key {text!r} in {store!r}")
            body["value"] = j(record.value)
            body["timestamp"] = record.timestamp
            return 200, body
        value = view.get(key)
        if value is None:
            raise _HttpError(404, "not_found", f"No value for key {text!r} in store {store!r}")
        body["value"] = j(value)
        return 200, body

    def _forward(self, host: HostInfo, path: str) -> tuple[int, Any]:
        url = f"http://{host.endpoint}{path}"
        request = urllib.request.Request(url, headers={FORWARDED_HEADER: "1"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            body = exc.read()
            if exc.code == 503:
                raise _unavailable(_message(body) or f"{host} answered 503") from None
            return exc.code, body
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            raise _unavailable(f"Could not reach {host} ({url}): {exc}: retry") from None

    def _all(self, store: str, query: Mapping[str, str], forwarded: bool) -> Any:
        local = forwarded or query.get("local", "").lower() in ("1", "true", "yes")
        if store in self.streams.topology.global_stores or self.host_info is None:
            local = True
        if local:
            partitions = self._partitions(query)
            if partitions is None:
                return self._read_local(store, query, None)
            entries = []
            for p in partitions:  # each exactly here, or 503: never a silent gap
                entries.extend(self._read_local(store, query, p))
            return entries
        try:
            found = self.streams.store_partition_hosts(store)
        except UnknownStateStoreError as exc:
            raise _HttpError(404, "unknown_store", str(exc)) from exc
        except InvalidStateStoreError as exc:
            raise _unavailable(str(exc)) from exc
        if found is None:
            raise _unavailable("The application's metadata is not known yet: retry")
        count, owners = found
        missing = [p for p in range(count) if p not in owners]
        if missing or not count:
            raise _unavailable(
                f"Partitions {missing} of store {store!r} have no host right now (a rebalance "
                "is under way): retry"
            )
        by_host: dict[HostInfo, list[int]] = {}
        for p, host in sorted(owners.items()):
            by_host.setdefault(host, []).append(p)
        entries: list[Any] = []
        for host, parts in sorted(by_host.items()):
            if self._is_local(host):
                for p in parts:
                    entries.extend(self._read_local(store, query, p))
                continue
            params = dict(query, local="true", partitions=",".join(map(str, parts)))
            path = f"/stores/{urllib.parse.quote(store, safe='')}?{urllib.parse.urlencode(params)}"
            status, body = self._forward(host, path)
            if status != 200:
                raise _unavailable(f"{host} answered {status} for store {store!r}: retry")
            entries.extend(json.loads(body))
        return _sorted(entries)

    @staticmethod
    def _partitions(query: Mapping[str, str]) -> list[int] | None:
        text = query.get("partitions")
        if text is None:
            return None
        try:
            return [int(p) for p in text.split(",") if p.strip()]
        except ValueError:
            raise _HttpError(
                400, "bad_parameter", f"partitions={text!r} is not a list of partitions"
            ) from None

    def _read_local(self, store: str, query: Mapping[str, str], partition: int | None) -> Any:
        view = self._store(
            store if partition is None else StoreQueryParameters(store, partition=partition)
        )
        try:
            return self._local_entries(view, store, query)
        except UnknownStateStoreError as exc:
            raise _HttpError(404, "unknown_store", str(exc)) from exc
        except InvalidStateStoreError as exc:
            raise _unavailable(str(exc)) from exc

    def _local_entries(self, view: Any, store: str, query: Mapping[str, str]) -> list[Any]:
        j = self._to_json
        if isinstance(view, ReadOnlyCompositeWindowStore):
            lo = self._int(query, "from", 0)
            hi = self._int(query, "to", MAX_TIME)
            return [
                {"key": j(w.key), "start": w.window.start, "value": j(v)}
                for w, v in view.fetch_all(lo, hi)
            ]
        if isinstance(view, ReadOnlyCompositeSessionStore):
            return [
                {"key": j(w.key), "start": w.window.start, "end": w.window.end, "value": j(v)}
                for w, v in _all_sessions(view)
            ]
        if isinstance(view, ReadOnlyCompositeVersionedStore):
            raise _HttpError(
                400, "unsupported", f"Store {store!r} is versioned: query one key at a time"
            )
        lo, hi = query.get("from"), query.get("to")
        if lo is None and hi is None:
            it: Iterable[tuple[Any, Any]] = view.all()
        else:
            it = view.range(
                None if lo is None else self._parse_key(store, lo),
                None if hi is None else self._parse_key(store, hi),
            )
        return [{"key": j(k), "value": j(v)} for k, v in it]


def _all_sessions(view: Any) -> Iterable[tuple[Windowed[Any], Any]]:
    return view.fetch_range(None, None)


def _sorted(entries: list[Any]) -> list[Any]:
    """Entries of several instances in one order (by key, then window start) when comparable."""
    try:
        return sorted(entries, key=lambda e: (e["key"], e.get("start", 0)))
    except TypeError:
        return entries


def _message(body: bytes) -> str | None:
    try:
        return str(json.loads(body).get("message"))
    except (ValueError, AttributeError):
        return None
