"""The Java collection orders that ``describe()`` reproduces: ``HashMap`` and ``TreeSet``.

Kafka Streams' ``InternalTopologyBuilder.describeSubtopology`` connects the nodes of a
sub-topology in ``HashMap`` order of their names and keeps each node's predecessors and
successors in a ``TreeSet`` whose comparator (``NodeComparator``: sub-tree size
descending, then name) reads sizes that grow while the sets are filled. So the order of
``-->`` and ``<--`` names is the one those insertions produced, not a sort by the final
sizes; this module replays them: Java's ``String.hashCode``, ``HashMap`` bucket order and
``TreeMap``'s red-black insertion.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


def java_string_hash(s: str) -> int:
    """``String.hashCode()``: ``31 * h + c`` over the UTF-16 code units, as a 32-bit int."""
    data = s.encode("utf-16-be")
    h = 0
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h


def java_string_compare(a: str, b: str) -> int:
    """The sign of ``a.compareTo(b)`` (UTF-16 code unit order)."""
    ea, eb = a.encode("utf-16-be"), b.encode("utf-16-be")
    return (ea > eb) - (ea < eb)


def hash_map_order(keys: list[str]) -> list[str]:
    """The iteration order of a ``java.util.HashMap`` / ``HashSet`` of ``keys`` put in this order.

    The table starts at 16 buckets and doubles when the size passes 3/4 of it; a bucket
    keeps its keys in insertion order (a resize splits buckets preserving it). Buckets of
    eight or more keys in a table of 64 or more become trees in Java, whose order this
    does not replay (a sub-topology would need dozens of colliding node names).
    """
    capacity = 16
    while len(keys) > capacity * 3 // 4:
        capacity *= 2
    mask = capacity - 1

    def bucket(key: str) -> int:
        h = java_string_hash(key)
        return (h ^ (h >> 16)) & mask

    indexed = sorted(enumerate(keys), key=lambda ik: (bucket(ik[1]), ik[0]))
    return [k for _, k in indexed]


class _Entry(Generic[T]):
    __slots__ = ("black", "key", "left", "parent", "right")

    def __init__(self, key: T, parent: _Entry[T] | None) -> None:
        self.key = key
        self.parent = parent
        self.left: _Entry[T] | None = None
        self.right: _Entry[T] | None = None
        self.black = True


def _black(e: _Entry[T] | None) -> bool:
    return True if e is None else e.black


def _set_black(e: _Entry[T] | None, black: bool) -> None:
    if e is not None:
        e.black = black


def _parent(e: _Entry[T] | None) -> _Entry[T] | None:
    return None if e is None else e.parent


def _left(e: _Entry[T] | None) -> _Entry[T] | None:
    return None if e is None else e.left


def _right(e: _Entry[T] | None) -> _Entry[T] | None:
    return None if e is None else e.right


class JavaTreeSet(Generic[T]):
    """A ``java.util.TreeSet``: ``add`` descends with ``compare(new, existing)`` and rebalances
    as ``TreeMap.fixAfterInsertion``; iteration is in-order.

    The comparator may change its mind between insertions (Kafka Streams' does): the
    order is then whatever the insertions made, which is the point.
    """

    def __init__(self, compare: Callable[[T, T], int]) -> None:
        self._compare = compare
        self._root: _Entry[T] | None = None
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, key: T) -> None:
        """Insert ``key`` unless the comparator finds it equal to an element."""
        t = self._root
        if t is None:
            self._root = _Entry(key, None)
            self._size = 1
            return
        while True:
            c = self._compare(key, t.key)
            if c == 0:
                return
            child = t.left if c < 0 else t.right
            if child is None:
                e = _Entry(key, t)
                if c < 0:
                    t.left = e
                else:
                    t.right = e
                break
            t = child
        self._size += 1
        self._fix_after_insertion(e)

    def __iter__(self) -> Iterator[T]:
        stack: list[_Entry[T]] = []
        node = self._root
        while stack or node is not None:
            while node is not None:
                stack.append(node)
                node = node.left
            node = stack.pop()
            yield node.key
            node = node.right

    def _rotate_left(self, p: _Entry[T] | None) -> None:
        if p is None:
            return
        r = p.right
        assert r is not None
        p.right = r.left
        if r.left is not None:
            r.left.parent = p
        r.parent = p.parent
        if p.parent is None:
            self._root = r
        elif p.parent.left is p:
            p.parent.left = r
        else:
            p.parent.right = r
        r.left = p
        p.parent = r

    def _rotate_right(self, p: _Entry[T] | None) -> None:
        if p is None:
            return
        q = p.left
        assert q is not None
        p.left = q.right
        if q.right is not None:
            q.right.parent = p
        q.parent = p.parent
        if p.parent is None:
            self._root = q
        elif p.parent.right is p:
            p.parent.right = q
        else:
            p.parent.left = q
        q.right = p
        p.parent = q

    def _fix_after_insertion(self, x: _Entry[T] | None) -> None:
        assert x is not None
        x.black = False
        while x is not None and x is not self._root and not _black(x.parent):
            grand = _parent(_parent(x))
            if _parent(x) is _left(grand):
                y = _right(grand)
                if not _black(y):
                    _set_black(_parent(x), True)
                    _set_black(y, True)
                    _set_black(grand, False)
                    x = grand
                else:
                    if x is _right(_parent(x)):
                        x = _parent(x)
                        self._rotate_left(x)
                    _set_black(_parent(x), True)
                    _set_black(_parent(_parent(x)), False)
                    self._rotate_right(_parent(_parent(x)))
            else:
                y = _left(grand)
                if not _black(y):
                    _set_black(_parent(x), True)
                    _set_black(y, True)
                    _set_black(grand, False)
                    x = grand
                else:
                    if x is _left(_parent(x)):
                        x = _parent(x)
                        self._rotate_right(x)
                    _set_black(_parent(x), True)
                    _set_black(_parent(_parent(x)), False)
                    self._rotate_left(_parent(_parent(x)))
        assert self._root is not None
        self._root.black = True
