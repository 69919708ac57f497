"""One budget (``statestore.cache.max.bytes`` per thread) bounds record caches and write buffers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kstreams.serde import Serdes
from kstreams.state import StateStoreContext, Stores
from kstreams.state.caching import cached_store
from kstreams.state.thread_cache import MIN_BUFFER_BYTES, ThreadCache

S = Serdes.String()


def store(tmp_path: Path, name: str, budget: ThreadCache, requests: list[str], cached: bool) -> Any:
    builder = Stores.key_value_store_builder(Stores.in_memory_key_value_store(name), S, S)
    built = builder.with_logging_disabled().build()
    if cached:
        built = cached_store(built, budget)
    built.init(
        StateStoreContext(
            "0_0",
            "app",
            0,
            str(tmp_path),
            request_commit=lambda: requests.append(name),
            thread_cache=budget,
        )
    )
    return built


def test_the_write_buffers_of_a_thread_share_one_budget(tmp_path: Path) -> None:
    budget = ThreadCache(20_000)
    requests: list[str] = []
    a = store(tmp_path, "a", budget, requests, cached=False)
    b = store(tmp_path, "b", budget, requests, cached=False)
    for i in range(60):  # ~ 60 * 180 bytes each: neither alone reaches 20 kB, both do
        a.put(f"key-{i}", "x" * 50)
        b.put(f"key-{i}", "x" * 50)
    assert requests == ["a"] or requests == ["b"] or sorted(requests) == ["a", "b"]
    assert budget.buffered == a.bytes_store.buffered_bytes() + b.bytes_store.buffered_bytes()
    a.flush_changelog()
    a.commit(None)
    b.flush_changelog()
    b.commit(None)
    assert budget.buffered == 0


def test_rewriting_a_key_counts_once(tmp_path: Path) -> None:
    budget = ThreadCache(20_000)
    requests: list[str] = []
    a = store(tmp_path, "a", budget, requests, cached=False)
    for _ in range(10_000):
        a.put("hot", "x" * 50)
    assert requests == []
    assert budget.buffered == len(b"hot") + 50 + 112


def test_caches_make_room_for_the_write_buffers(tmp_path: Path) -> None:
    budget = ThreadCache(100_000)
    requests: list[str] = []
    cache = store(tmp_path, "c", budget, requests, cached=True)
    for i in range(100):
        cache.put(f"key-{i}", f"v{i}")
    cache.flush_changelog()
    cache.commit(None)  # the cache holds 100 clean entries
    held = budget.size
    assert held > 0 and cache.cached_entries == 100
    plain = store(tmp_path, "p", budget, requests, cached=False)
    for i in range(300):  # ~66 kB: with the cache's ~40 kB over the budget
        plain.put(f"key-{i}", "x" * 100)
    assert requests == []  # the buffers alone are within it
    cache.get("key-0")  # the cache's next insert/read-through evicts to fit both
    cache.put("new", "v")
    assert budget.size + budget.buffered <= budget.max_bytes
    assert cache.cached_entries < 100


def test_without_caching_the_buffers_still_get_a_small_bound(tmp_path: Path) -> None:
    budget = ThreadCache(0)
    assert budget.buffer_limit == MIN_BUFFER_BYTES
    requests: list[str] = []
    a = store(tmp_path, "a", budget, requests, cached=False)
    for i in range(MIN_BUFFER_BYTES // 150):
        a.put(f"key-{i:06d}", "x" * 30)
    assert requests == ["a"]
