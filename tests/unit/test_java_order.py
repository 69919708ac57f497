"""The Java collection orders ``describe()`` replays (``kstreams.topology.java_order``).

Expected values are what Java 17 prints for the same calls (``String.hashCode()``,
``new HashSet<>(list).toString()``, ``TreeSet`` iteration).
"""

from __future__ import annotations

import random

from kstreams.topology.java_order import (
    JavaTreeSet,
    hash_map_order,
    java_string_compare,
    java_string_hash,
)


def _signed(h: int) -> int:
    return h - 2**32 if h >= 2**31 else h


def test_string_hash_is_javas() -> None:
    assert _signed(java_string_hash("KSTREAM-SOURCE-0000000000")) == 1861603632
    assert _signed(java_string_hash("KSTREAM-MERGE-0000000002")) == 673377497
    assert _signed(java_string_hash("ünï")) == 245821
    assert _signed(java_string_hash("\U0001f600x")) == 54959989  # a surrogate pair


def test_hash_set_order_after_a_resize() -> None:
    names = [f"KSTREAM-FILTER-{i:010d}" for i in range(20)]  # 20 > 12: 32 buckets
    java = [7, 18, 8, 19, 5, 16, 6, 17, 9, 10, 0, 11, 3, 14, 4, 15, 1, 12, 2, 13]

    assert hash_map_order(names) == [f"KSTREAM-FILTER-{i:010d}" for i in java]


def test_string_compare_is_by_utf16_code_units() -> None:
    # Java: a surrogate pair (0xD83D...) sorts before U+FFFF; Python's code points say otherwise
    assert java_string_compare("\U0001f600", "\uffff") < 0
    assert java_string_compare("a", "ab") < 0
    assert java_string_compare("b", "ab") > 0
    assert java_string_compare("x", "x") == 0


def test_tree_set_with_a_consistent_comparator_sorts() -> None:
    rng = random.Random(3)
    for _ in range(500):
        xs = [rng.randint(0, 40) for _ in range(rng.randint(0, 30))]
        s: JavaTreeSet[int] = JavaTreeSet(lambda a, b: (a > b) - (a < b))
        for x in xs:
            s.add(x)
        assert list(s) == sorted(set(xs))
        assert len(s) == len(set(xs))


def test_tree_set_keeps_the_order_its_insertions_made() -> None:
    """With keys whose ranks change after insertion (as Kafka Streams' sub-tree sizes do), the
    order is the one the insertions produced."""
    rank = {"a": 1, "b": 2}
    s: JavaTreeSet[str] = JavaTreeSet(lambda x, y: rank[x] - rank[y])
    s.add("a")
    s.add("b")
    rank["a"] = 5  # "a" now ranks after "b", but stays where it was put

    assert list(s) == ["a", "b"]
