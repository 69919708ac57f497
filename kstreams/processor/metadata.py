"""``ProcessorMetadata``: what processors ask the task to commit with its offsets (Java: same name).

A map of string keys to long values (the windowed aggregations keep the last window close time
they emitted under their store's name), committed in every input partition's offset metadata
(see :mod:`kstreams.runtime.commit_metadata`) and merged back, the largest value per key, when
the task starts again: so an on-window-close aggregation resumes where it left off.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

LONG_MIN = -(1 << 63)
LONG_MAX = (1 << 63) - 1


class ProcessorMetadata:
    """String keys to 64-bit values, and whether they changed since the last commit.

    Internal: processors reach it through ``ProcessorContext.processor_metadata_for_key`` and
    ``add_processor_metadata_key_value``.
    """

    __slots__ = ("_values", "needs_commit", "version")

    def __init__(self, values: Mapping[str, int] | None = None) -> None:
        self._values: dict[str, int] = dict(values or {})
        self.needs_commit = False
        """Whether a value was put since the last commit (Java: ``needsCommit``)."""
        self.version = 0
        """Bumped by every change: lets the committer reuse an encoding that did not change."""

    def put(self, key: str, value: int) -> None:
        """Set ``key`` to ``value`` (a 64-bit integer) and mark the metadata for commit."""
        if not isinstance(key, str):
            raise TypeError(f"processor metadata keys are strings, got {key!r}")
        if type(value) is not int or not LONG_MIN <= value <= LONG_MAX:
            raise TypeError(f"processor metadata values are 64-bit integers, got {value!r}")
        self._values[key] = value
        self.needs_commit = True
        self.version += 1

    def get(self, key: str) -> int | None:
        """The value of ``key``, or None."""
        return self._values.get(key)

    def update(self, other: ProcessorMetadata | Mapping[str, int]) -> None:
        """Merge ``other`` in: missing keys are added, existing ones keep the larger value."""
        items = other._values if isinstance(other, ProcessorMetadata) else other
        values = self._values
        for key, value in items.items():
            mine = values.get(key)
            if mine is None or mine < value:
                values[key] = value
                self.version += 1

    def items(self) -> Iterator[tuple[str, int]]:
        """``(key, value)`` pairs in insertion order."""
        return iter(self._values.items())

    def as_dict(self) -> dict[str, int]:
        """A copy of the values."""
        return dict(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProcessorMetadata):
            return NotImplemented
        return self._values == other._values

    def __hash__(self) -> int:
        return hash(frozenset(self._values.items()))

    def __repr__(self) -> str:
        return f"ProcessorMetadata({self._values!r})"
