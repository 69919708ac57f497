"""Every ``python`` block of README.md and docs/ that needs no broker runs, as written.

The convention is :mod:`doc_blocks`' (also in docs/guide/CONTRIBUTING-DOCS.md); chains that
need a broker run in tests/integration/test_doc_blocks_broker.py. Also checked here: the
markers themselves, and that the guide's index lists every page of the guide.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from doc_blocks import DOCS, Chain, DocBlockError, all_chains, chains, parse_blocks, run_chain

LOCAL_CHAINS = [c for c in all_chains() if not c.needs_broker]
GUIDE = DOCS / "guide"


@pytest.mark.parametrize("chain", LOCAL_CHAINS, ids=lambda c: c.id)
def test_doc_block_runs(chain: Chain, request: pytest.FixtureRequest) -> None:
    if chain.skip is not None:
        pytest.skip(f"no-run: {chain.skip}")
    run_chain(chain, fixture=request.getfixturevalue)


def test_the_guide_has_blocks_to_run() -> None:
    guide = [c for c in all_chains() if GUIDE in c.path.parents]
    assert len(guide) >= 20, [c.id for c in guide]
    skipped = [c.id for c in guide if c.skip is not None]
    assert len(skipped) <= len(guide) // 5, f"no-run blocks should stay rare: {skipped}"


def test_the_guide_index_lists_every_page() -> None:
    index = (GUIDE / "README.md").read_text()
    linked = set(re.findall(r"\]\(([\w.-]+\.md)\)", index))
    pages = {p.name for p in GUIDE.glob("*.md")} - {"README.md"}
    assert pages - linked == set(), "pages missing from docs/guide/README.md"


PAGE = Path("/docs/page.md")


def test_blocks_run_alone_unless_marked_continue() -> None:
    text = (
        "```python\na = 1\n```\n\n<!-- continue -->\n\n```python\nb = a + 1\n```\n"
        "```python\nc = 3\n```\n"
    )
    found = chains(PAGE, text)
    assert [[b.line for b in c.blocks] for c in found] == [[1, 7], [10]]
    namespace = run_chain(found[0], fixture=lambda name: None)
    assert namespace["b"] == 2


def test_no_run_needs_a_reason_and_skips() -> None:
    (block,) = parse_blocks(PAGE, "<!-- no-run: needs a SASL cluster -->\n```python\nx\n```\n")
    assert block.skip == "needs a SASL cluster"
    with pytest.raises(DocBlockError, match="needs a reason"):
        parse_blocks(PAGE, "<!-- no-run -->\n```python\nx\n```\n")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<!-- continue -->\n```python\nx = 1\n```\n", "first block"),
        ("<!-- continue -->\ntext\n```python\nx = 1\n```\n", "last line before"),
        ("```python\nx = 1\n```\n<!-- continue -->\n```bash\nls\n```\n", "only ```python"),
        ("```python\nx = 1\n```\n<!-- continue -->\n", "end of the page"),
        (
            "<!-- no-run: why -->\n```python\nx\n```\n<!-- continue -->\n```python\ny\n```\n",
            "continues a no-run block",
        ),
    ],
)
def test_misplaced_markers_are_refused(text: str, problem: str) -> None:
    with pytest.raises(DocBlockError, match=re.escape(problem)):
        parse_blocks(PAGE, text)


def test_a_python_fence_shown_inside_a_longer_fence_is_not_run() -> None:
    text = "````markdown\n<!-- continue -->\n```python\nx = 1\n```\n````\n"
    assert parse_blocks(PAGE, text) == []


def test_chains_naming_the_broker_go_to_the_integration_test() -> None:
    local, broker = chains(
        PAGE,
        "```python\nx = 1\n```\n```python\nimport os\nos.environ['KSTREAMS_BOOTSTRAP_SERVERS']\n```\n"
        "```python\ndef test_x(new_topic):\n    pass\n```\n",
    )[:2]
    assert not local.needs_broker and broker.needs_broker


def test_test_functions_of_a_block_are_called_with_fixtures() -> None:
    (chain,) = chains(
        PAGE, "```python\nseen = []\ndef test_it(tmp_path):\n    seen.append(tmp_path)\n```\n"
    )
    namespace = run_chain(chain, fixture=lambda name: f"<{name}>")
    assert namespace["seen"] == ["<tmp_path>"]


def test_tracebacks_name_the_page_and_its_line() -> None:
    (chain,) = chains(PAGE, "text\n\n```python\nx = 1\nraise RuntimeError('boom')\n```\n")
    with pytest.raises(RuntimeError) as info:
        run_chain(chain, fixture=lambda name: None)
    frame = info.traceback[-1]
    assert (frame.path, frame.lineno + 1) == (str(PAGE), 5)
