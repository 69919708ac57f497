"""Every ``python`` block of README.md and docs/ that needs a broker runs, as written, on the real one.

Which blocks these are and how they run is :mod:`doc_blocks`' convention (also in
docs/guide/CONTRIBUTING-DOCS.md): a chain of blocks that names ``KSTREAMS_BOOTSTRAP_SERVERS``
or a broker fixture runs here with ``KSTREAMS_BOOTSTRAP_SERVERS`` set to the session's broker;
the others run in tests/unit/test_docs_blocks.py. README.md's blocks run in order in one
namespace, with its ``localhost:9092`` pointed at the session's broker, its topics created
first and its quick start's ``KafkaStreams`` closed afterwards; a guide page's block must close
what it starts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from doc_blocks import README, Chain, all_chains, run_chain

from kstreams import KafkaStreams
from kstreams.runtime.kafka_streams import State
from kstreams.testing.broker import ENV_BOOTSTRAP_SERVERS, admin_client

pytestmark = pytest.mark.integration

BROKER_CHAINS = [c for c in all_chains() if c.needs_broker]


def ensure_topics(bootstrap: str, topics: list[str]) -> None:
    """Create the README's topics unless they exist (one partition each)."""
    from confluent_kafka.admin import NewTopic

    admin = admin_client(bootstrap)
    existing = set(admin.list_topics(timeout=15).topics)
    new = [NewTopic(t, num_partitions=1, replication_factor=1) for t in topics if t not in existing]
    for fut in admin.create_topics(new).values() if new else ():
        fut.result(timeout=30)


def readme_rewrite(bootstrap: str, state_dir: Path):
    """The README's blocks pointed at the test broker, with a state directory of the test's."""

    def rewrite(code: str) -> str:
        code = code.replace("localhost:9092", bootstrap)
        return code.replace(
            '"application.id": "word-count",',
            f'"application.id": "word-count", "state.dir": {str(state_dir)!r},',
        )

    return rewrite


def test_readme_has_its_blocks() -> None:
    readme = [c for c in BROKER_CHAINS if c.path == README]
    assert len(readme) == 1 and len(readme[0].blocks) >= 2, (
        "the README should show the quick start and the test driver"
    )


@pytest.mark.parametrize("chain", BROKER_CHAINS, ids=lambda c: c.id)
def test_doc_block_runs_on_the_broker(
    chain: Chain,
    kafka_bootstrap: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    if chain.skip is not None:
        pytest.skip(f"no-run: {chain.skip}")
    monkeypatch.setenv(ENV_BOOTSTRAP_SERVERS, kafka_bootstrap)
    rewrite = (lambda code: code) if chain.path != README else None
    if chain.path == README:
        ensure_topics(kafka_bootstrap, ["text-lines", "word-counts"])
        rewrite = readme_rewrite(kafka_bootstrap, tmp_path)
    namespace: dict = {}  # filled as the blocks run: what a failing block started is closed
    try:
        run_chain(chain, fixture=request.getfixturevalue, rewrite=rewrite, namespace=namespace)
    finally:
        left_running = []
        for value in list(namespace.values()):
            if isinstance(value, KafkaStreams) and value.state not in (
                State.CREATED,
                State.NOT_RUNNING,
                State.ERROR,
            ):
                left_running.append(value)
                assert value.close(30), f"{chain.id}: a KafkaStreams it started did not close"
    if chain.path != README:
        assert not left_running, f"{chain.id}: a block started a KafkaStreams and did not close it"
