"""Every ``python`` code block of the README runs, as written, against the test broker.

The blocks run in order in one namespace (a later block may use what an earlier one made),
with the README's ``localhost:9092`` pointed at the test session's broker. The topics the
README reads are created first; a ``KafkaStreams`` a block starts is closed afterwards.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from kstreams import KafkaStreams
from kstreams.testing.broker import admin_client

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(path: Path) -> list[str]:
    """The ``python`` fenced code blocks of a Markdown file, in order."""
    return BLOCK.findall(path.read_text())


def ensure_topics(bootstrap: str, topics: list[str]) -> None:
    from confluent_kafka.admin import NewTopic

    admin = admin_client(bootstrap)
    existing = set(admin.list_topics(timeout=15).topics)
    new = [NewTopic(t, num_partitions=1, replication_factor=1) for t in topics if t not in existing]
    for fut in admin.create_topics(new).values() if new else ():
        fut.result(timeout=30)


def test_readme_python_blocks_run(kafka_bootstrap: str, tmp_path: Path) -> None:
    blocks = python_blocks(README)
    assert len(blocks) >= 2, "the README should show the quick start and the test driver"
    ensure_topics(kafka_bootstrap, ["text-lines", "word-counts"])
    namespace: dict[str, Any] = {"__name__": "readme"}
    try:
        for i, block in enumerate(blocks):
            code = block.replace("localhost:9092", kafka_bootstrap)
            code = code.replace(
                '"application.id": "word-count",',
                f'"application.id": "word-count", "state.dir": {str(tmp_path)!r},',
            )
            exec(compile(code, f"README.md python block {i + 1}", "exec"), namespace)
    finally:
        for value in namespace.values():
            if isinstance(value, KafkaStreams):
                assert value.close(30), "a KafkaStreams started by the README did not close"
