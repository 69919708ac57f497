"""The interactive-query HTTP server: routes, JSON, forwarding to the owner, errors (404,
400, 503 with Retry-After), over two servers on localhost and stand-in clients."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from kstreams import HostInfo, KeyQueryMetadata, StreamsMetadata, Windowed
from kstreams.interactive import InteractiveQueryServer, to_jsonable
from kstreams.runtime.queries import StoreQueryParameters
from kstreams.runtime.window_queries import ReadOnlyCompositeWindowStore
from kstreams.state.errors import (
    InvalidStateStorePartitionError,
    StreamsRebalancingError,
    UnknownStateStoreError,
)
from kstreams.windows import TimeWindow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def partition_of(key: Any) -> int:
    return len(str(key)) % 2


class Cluster:
    """Who owns which partition (shared by the stand-in clients)."""

    def __init__(self) -> None:
        self.owner: dict[int, HostInfo | None] = {}


class KeyValueView:
    def __init__(self, data: dict[Any, Any], rebalancing: bool) -> None:
        self.data = data
        self.rebalancing = rebalancing

    def _check(self) -> None:
        if self.rebalancing:
            raise StreamsRebalancingError("the store's tasks are restoring: retry")

    def get(self, key: Any) -> Any:
        self._check()
        return self.data.get(key)

    def all(self) -> Iterator[tuple[Any, Any]]:
        self._check()
        return iter(sorted(self.data.items()))

    def range(self, lo: Any, hi: Any) -> Iterator[tuple[Any, Any]]:
        self._check()
        return iter(
            sorted(
                (k, v)
                for k, v in self.data.items()
                if (lo is None or k >= lo) and (hi is None or k <= hi)
            )
        )


class WindowView(ReadOnlyCompositeWindowStore):
    def __init__(self, windows: dict[Any, list[tuple[int, Any]]]) -> None:  # no super(): a stand-in
        self.windows = windows

    def fetch(self, key: Any, time_from: int, time_to: int | None = None) -> Any:
        return iter([(t, v) for t, v in self.windows.get(key, []) if time_from <= t <= time_to])

    def fetch_all(self, time_from: int, time_to: int) -> Iterator[tuple[Windowed[Any], Any]]:
        return iter(
            (Windowed(k, TimeWindow(t, t + 10)), v)
            for k, ws in sorted(self.windows.items())
            for t, v in ws
            if time_from <= t <= time_to
        )


@dataclass
class FakeTopology:
    global_stores: dict[str, Any]


class FakeStreams:
    """A client holding ``data`` for the partitions the cluster says it owns."""

    def __init__(self, cluster: Cluster, host: HostInfo, data: dict[Any, Any]) -> None:
        self.cluster = cluster
        self.host_info = host
        self.data = data
        self.rebalancing = False
        self.topology = FakeTopology({})
        self.windows: dict[Any, list[tuple[int, Any]]] = {}
        self.stale: Cluster | None = None
        """What this client's metadata says, when it lags the cluster's truth."""

    def _owned(self) -> set[int]:
        return {p for p, h in self.cluster.owner.items() if h == self.host_info}

    def store(self, name: str | StoreQueryParameters) -> Any:
        params = StoreQueryParameters(name) if isinstance(name, str) else name
        if params.store_name == "windows":
            return WindowView(self.windows)
        if params.store_name != "counts":
            raise UnknownStateStoreError(f"no store {params.store_name!r}")
        if params.partition is not None and params.partition not in self._owned():
            raise InvalidStateStorePartitionError(f"partition {params.partition} is not here")
        wanted = self._owned() if params.partition is None else {params.partition}
        return KeyValueView(
            {k: v for k, v in self.data.items() if partition_of(k) in wanted},
            self.rebalancing,
        )

    def query_metadata_for_key(self, store: str, key: Any) -> KeyQueryMetadata:
        if store not in ("counts", "windows"):
            raise UnknownStateStoreError(f"no store {store!r}")
        owner = (self.stale or self.cluster).owner.get(partition_of(key))
        return KeyQueryMetadata(owner or HostInfo.unavailable(), frozenset(), partition_of(key))

    def metadata_for_all_clients(self) -> list[StreamsMetadata]:
        hosts: dict[HostInfo, set[tuple[str, int]]] = {}
        for p, h in self.cluster.owner.items():
            if h is not None:
                hosts.setdefault(h, set()).add(("in", p))
        return [
            StreamsMetadata(h, frozenset({"counts"}), frozenset(tps), process_id=h.endpoint)
            for h, tps in sorted(hosts.items())
        ]

    def streams_metadata_for_store(self, store: str) -> list[StreamsMetadata]:
        return self.metadata_for_all_clients()

    def store_partition_hosts(self, store: str) -> tuple[int, dict[int, HostInfo]]:
        if store not in ("counts", "windows"):
            raise UnknownStateStoreError(f"no store {store!r}")
        owners = (self.stale or self.cluster).owner
        return 2, {p: h for p, h in owners.items() if h is not None}


@pytest.fixture
def pair():
    cluster = Cluster()
    a_host, b_host = HostInfo("127.0.0.1", free_port()), HostInfo("127.0.0.1", free_port())
    data = {"a": 1, "bb": 2, "ccc": 3, "dddd": 4}  # partitions 1, 0, 1, 0
    a, b = FakeStreams(cluster, a_host, data), FakeStreams(cluster, b_host, data)
    cluster.owner = {0: a_host, 1: b_host}
    servers = [InteractiveQueryServer(a).start(), InteractiveQueryServer(b).start()]
    try:
        yield cluster, a, b
    finally:
        for s in servers:
            s.close()


def get(host: HostInfo, path: str, headers: dict[str, str] | None = None):
    request = urllib.request.Request(f"http://{host.endpoint}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read()), resp.headers
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), exc.headers


def test_local_and_forwarded_keys(pair) -> None:
    cluster, a, b = pair
    for asked in (a, b):
        for key, value in a.data.items():
            status, body, _ = get(asked.host_info, f"/stores/counts/{key}")
            assert status == 200, body
            owner = cluster.owner[partition_of(key)]
            assert body == {"store": "counts", "key": key, "value": value, "host": owner.endpoint}


def test_not_found_unknown_store_bad_route(pair) -> None:
    _, a, b = pair
    status, body, _ = get(a.host_info, "/stores/counts/zz")  # partition 0: a's, absent
    assert (status, body["error"]) == (404, "not_found")
    status, body, _ = get(b.host_info, "/stores/counts/zz")  # forwarded to a, still 404
    assert (status, body["error"]) == (404, "not_found")
    status, body, _ = get(a.host_info, "/stores/nope/zz")
    assert (status, body["error"]) == (404, "unknown_store")
    status, body, _ = get(a.host_info, "/nothing/here")
    assert (status, body["error"]) == (404, "not_found")
    assert "/stores/<store>/<key>" in body["message"]


def test_unavailable_partition_and_restoring_store_are_503_with_retry_after(pair) -> None:
    cluster, a, b = pair
    cluster.owner[1] = None  # moving
    status, body, headers = get(a.host_info, "/stores/counts/a")
    assert (status, body["error"]) == (503, "unavailable")
    assert headers["Retry-After"] == "1"
    assert "rebalance" in body["message"]
    a.rebalancing = True
    status, body, headers = get(b.host_info, "/stores/counts/bb")  # forwarded to a: restoring
    assert status == 503 and headers["Retry-After"] == "1"
    assert "restoring" in body["message"]


def test_a_moved_partition_is_503_not_404(pair) -> None:
    cluster, a, b = pair
    # a's metadata still says a owns partition 0, but its task left: the read of that
    # partition raises, the answer is "retry", never "no such key"
    a.stale = Cluster()
    a.stale.owner = dict(cluster.owner)
    cluster.owner[0] = b.host_info
    status, body, _ = get(a.host_info, "/stores/counts/bb")
    assert status == 503, body


def test_forwarded_request_is_never_forwarded_again(pair) -> None:
    _, a, _ = pair
    status, body, _ = get(a.host_info, "/stores/counts/a", {"X-KStreams-Forwarded": "1"})
    assert status == 503 and "metadata is settling" in body["message"]


def test_unreachable_owner_is_503(pair) -> None:
    cluster, a, _ = pair
    cluster.owner[1] = HostInfo("127.0.0.1", free_port())  # nobody listens
    status, body, _ = get(a.host_info, "/stores/counts/a")
    assert status == 503 and "Could not reach" in body["message"]


def test_all_entries_gathered_from_every_instance(pair) -> None:
    _, a, b = pair
    status, body, _ = get(b.host_info, "/stores/counts")
    assert status == 200
    assert body == [{"key": k, "value": v} for k, v in sorted(a.data.items())]
    status, body, _ = get(b.host_info, "/stores/counts?local=true")
    assert body == [{"key": "a", "value": 1}, {"key": "ccc", "value": 3}]
    status, body, _ = get(a.host_info, "/stores/counts?from=b&to=cz")
    assert body == [{"key": "bb", "value": 2}, {"key": "ccc", "value": 3}]
    status, body, _ = get(a.host_info, "/stores/counts?local=true&partitions=0")
    assert body == [{"key": "bb", "value": 2}, {"key": "dddd", "value": 4}]
    status, body, _ = get(a.host_info, "/stores/counts?local=true&partitions=1")
    assert status == 503  # partition 1 is b's: never an empty answer for it
    status, body, _ = get(a.host_info, "/stores/counts?local=true&partitions=x")
    assert (status, body["error"]) == (400, "bad_parameter")


def test_a_whole_store_is_never_answered_with_a_gap(pair) -> None:
    cluster, a, b = pair
    cluster.owner[1] = None  # moving: no host
    status, body, headers = get(a.host_info, "/stores/counts")
    assert status == 503 and headers["Retry-After"] == "1"
    assert "Partitions [1]" in body["message"]
    # a's metadata says b still has partition 1, but it moved to a: b refuses, a says 503
    a.stale = Cluster()
    a.stale.owner = {0: a.host_info, 1: b.host_info}
    cluster.owner[1] = a.host_info
    status, body, _ = get(a.host_info, "/stores/counts")
    assert status == 503, body


def test_metadata_routes(pair) -> None:
    _, a, b = pair
    status, body, _ = get(a.host_info, "/metadata")
    assert status == 200
    assert [m["host"] for m in body] == sorted([a.host_info.endpoint, b.host_info.endpoint])
    assert body[0]["state_store_names"] == ["counts"]
    status, body, _ = get(a.host_info, "/metadata/counts/a")
    assert body == {"active_host": b.host_info.endpoint, "standby_hosts": [], "partition": 1}


def test_window_store_queries(pair) -> None:
    _, a, _ = pair
    a.windows = {"a": [(0, 5), (10, 6), (20, 7)]}
    a.cluster.owner = {0: a.host_info, 1: a.host_info}
    status, body, _ = get(a.host_info, "/stores/windows/a?from=5&to=20")
    assert status == 200
    assert body["windows"] == [{"start": 10, "value": 6}, {"start": 20, "value": 7}]
    status, body, _ = get(a.host_info, "/stores/windows/a?from=x")
    assert (status, body["error"]) == (400, "bad_parameter")
    status, body, _ = get(a.host_info, "/stores/windows?local=true&from=0&to=10")
    assert body == [{"key": "a", "start": 0, "value": 5}, {"key": "a", "start": 10, "value": 6}]


def test_key_parser_errors_are_400() -> None:
    cluster = Cluster()
    host = HostInfo("127.0.0.1", free_port())
    streams = FakeStreams(cluster, host, {})
    with InteractiveQueryServer(streams, key_parser=int):
        status, body, _ = get(host, "/stores/counts/abc")
        assert (status, body["error"]) == (400, "bad_key")
        assert "invalid literal" in body["message"]


def test_server_needs_a_port() -> None:
    class NoServer:
        host_info = None

    with pytest.raises(ValueError, match=r"application\.server"):
        InteractiveQueryServer(NoServer())
    server = InteractiveQueryServer(NoServer(), "127.0.0.1", 0).start()
    try:
        assert server.address[1] > 0
    finally:
        server.close()
        server.close()


def test_to_jsonable() -> None:
    from kstreams import ValueAndTimestamp

    @dataclass
    class Order:
        id: int
        tags: set[str]

    assert to_jsonable(b"text") == "text"
    assert to_jsonable(b"\xff") == {"base64": "/w=="}
    assert to_jsonable(Order(1, {"x"})) == {"id": 1, "tags": ["x"]}
    assert to_jsonable({1: (2, 3)}) == {"1": [2, 3]}
    assert to_jsonable(Windowed("k", TimeWindow(0, 10))) == {"key": "k", "start": 0, "end": 10}
    assert to_jsonable(ValueAndTimestamp.make(5, 42)) == {"value": 5, "timestamp": 42}
    assert to_jsonable(HostInfo("h", 1)) == {"host": "h", "port": 1}
    assert to_jsonable(object).startswith("<class")
