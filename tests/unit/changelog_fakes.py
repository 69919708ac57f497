"""Fakes of the restore consumer's records for the restoration tests."""

from __future__ import annotations


class Msg:
    def __init__(self, topic: str, partition: int, offset: int) -> None:
        self._tp = (topic, partition)
        self._offset = offset

    def error(self) -> None:
        return None

    def topic(self) -> str:
        return self._tp[0]

    def partition(self) -> int:
        return self._tp[1]

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes:
        return f"k{self._offset}".encode()

    def value(self) -> bytes:
        return b"v"

    def timestamp(self) -> tuple[int, int]:
        return (1, 7)


class Position:
    def __init__(self, topic: str, partition: int, offset: int) -> None:
        self.topic, self.partition, self.offset = topic, partition, offset
