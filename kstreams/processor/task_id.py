"""``TaskId``: a sub-topology and a partition number (Java: ``TaskId``)."""

from __future__ import annotations

from typing import NamedTuple


class TaskId(NamedTuple):
    """The unit of work: sub-topology ``subtopology`` on input partition ``partition``.

    ``str(TaskId(0, 3))`` is ``"0_3"``, as in Kafka Streams' state directories.
    """

    subtopology: int
    partition: int

    def __str__(self) -> str:
        return f"{self.subtopology}_{self.partition}"

    @classmethod
    def parse(cls, text: str) -> TaskId:
        """``TaskId.parse("0_3")``."""
        sub, _, part = text.partition("_")
        return cls(int(sub), int(part))
