"""The ``python`` code blocks of README.md and docs/**/*.md, collected and run as the doc tests do.

The convention (also in docs/guide/CONTRIBUTING-DOCS.md):

* Every fenced ```` ```python ```` block runs, in a fresh namespace.
* ``<!-- continue -->`` as the last non-blank line before a block: the block runs in the
  namespace of the page's previous block (it continues it). A chain is a block and the
  blocks that continue it; it is one test.
* ``<!-- no-run: reason -->`` there: the block is skipped, with the reason in the skip. For
  blocks that need what CI does not have (a SASL cluster, say); keep them rare. A skipped
  block is not part of a chain.
* README.md's blocks form one chain without markers (its test-driver snippet uses the quick
  start's topology); the README's ``localhost:9092`` becomes the session broker.
* A chain that names ``KSTREAMS_BOOTSTRAP_SERVERS`` or a broker fixture (``kafka_bootstrap``,
  ``new_topic``, ``kafka_broker``) needs a broker: the integration test runs it with
  ``KSTREAMS_BOOTSTRAP_SERVERS`` set to the session broker. Other chains (the
  TopologyTestDriver, configuration) run in the unit tests, with no broker.
* Functions named ``test_*`` that a chain defines are called after it, each with the pytest
  fixtures its parameters name: a page can show a real pytest test and have it run.
* A ``KafkaStreams`` a block starts must be closed by the block (README.md excepted: the
  runner closes its quick start's client).

Tracebacks name the Markdown file and its line numbers.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs"

FENCE_OPEN = re.compile(r"^ {0,3}(`{3,})([^`]*)$")
MARKER = re.compile(r"^<!--\s*(continue|no-run)\s*(?::\s*(.*?))?\s*-->$")
NEEDS_BROKER = re.compile(
    r"KSTREAMS_BOOTSTRAP_SERVERS|\b(?:kafka_bootstrap|new_topic|kafka_broker)\b"
)


class DocBlockError(ValueError):
    """A page breaks the code-block convention (the message names the file and line)."""


@dataclass(frozen=True)
class Block:
    """One ``python`` block: where it starts (the fence's line, 1-based) and its code."""

    path: Path
    line: int
    code: str
    continues: bool = False
    skip: str | None = None


@dataclass(frozen=True)
class Chain:
    """Blocks that run in one namespace, in order (one test)."""

    blocks: tuple[Block, ...]

    @property
    def path(self) -> Path:
        """The page."""
        return self.blocks[0].path

    @property
    def id(self) -> str:
        """``docs/guide/dsl.md:12``: the page and the first block's line."""
        return f"{relative(self.path)}:{self.blocks[0].line}"

    @property
    def skip(self) -> str | None:
        """The reason of a ``no-run`` block (a skipped block is a chain of its own)."""
        return self.blocks[0].skip

    @property
    def needs_broker(self) -> bool:
        """Whether the chain talks to a real broker (README.md's always does)."""
        return self.path == README or any(NEEDS_BROKER.search(b.code) for b in self.blocks)


def relative(path: Path) -> str:
    """``path`` relative to the repository, as shown in test ids and tracebacks."""
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def doc_pages() -> list[Path]:
    """README.md and every Markdown page under docs/, in a stable order."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def parse_blocks(path: Path, text: str | None = None) -> list[Block]:
    """The ``python`` blocks of one page with their markers.

    Fences are read line by line as CommonMark does (a fence of N backticks closes with N or
    more), so a ```` ```python ```` shown inside a longer fence is not a block of its own.

    Raises:
        DocBlockError: a marker that is not right before a ``python`` block, a ``no-run``
            without a reason, a ``continue`` with nothing to continue, or a block that
            continues a skipped one.
    """
    text = path.read_text() if text is None else text
    lines = text.splitlines()
    blocks: list[Block] = []
    pending: tuple[int, str, str | None] | None = None  # marker: line, kind, reason
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        fence = FENCE_OPEN.match(lines[i])
        if fence is None:
            marker = MARKER.match(stripped)
            if marker is not None:
                if pending is not None:
                    raise DocBlockError(f"{relative(path)}:{pending[0]}: two markers in a row")
                pending = (i + 1, marker.group(1), marker.group(2))
            elif stripped and pending is not None:
                raise DocBlockError(
                    f"{relative(path)}:{pending[0]}: a block marker must be the last line "
                    "before a ```python block"
                )
            i += 1
            continue
        ticks, info = fence.group(1), fence.group(2).strip()
        end = i + 1
        while end < len(lines) and not re.match(rf"^ {{0,3}}{ticks}`*[ \t]*$", lines[end]):
            end += 1
        code = "\n".join(lines[i + 1 : end]) + "\n"
        if info == "python":
            blocks.append(_block(path, i + 1, code, pending, blocks))
        elif pending is not None:
            raise DocBlockError(
                f"{relative(path)}:{pending[0]}: a block marker before a {info or 'plain'!r} "
                "block: only ```python blocks run"
            )
        pending = None
        i = end + 1
    if pending is not None:
        raise DocBlockError(f"{relative(path)}:{pending[0]}: a block marker at the end of the page")
    return blocks


def _block(
    path: Path,
    line: int,
    code: str,
    marker: tuple[int, str, str | None] | None,
    before: list[Block],
) -> Block:
    if marker is None:
        return Block(path, line, code)
    where, (_, kind, reason) = f"{relative(path)}:{marker[0]}", marker
    if kind == "continue":
        if reason:
            raise DocBlockError(f"{where}: '<!-- continue -->' takes no argument")
        if not before:
            raise DocBlockError(f"{where}: '<!-- continue -->' before the page's first block")
        if before[-1].skip is not None:
            raise DocBlockError(f"{where}: continues a no-run block; mark both no-run")
        return Block(path, line, code, continues=True)
    if not reason:
        raise DocBlockError(f"{where}: '<!-- no-run -->' needs a reason: <!-- no-run: why -->")
    return Block(path, line, code, skip=reason)


def chains(path: Path, text: str | None = None) -> list[Chain]:
    """The page's blocks grouped into chains (README.md: one chain)."""
    blocks = parse_blocks(path, text)
    if path == README:
        return [Chain(tuple(blocks))] if blocks else []
    out: list[list[Block]] = []
    for block in blocks:
        if block.continues:
            out[-1].append(block)
        else:
            out.append([block])
    return [Chain(tuple(group)) for group in out]


def all_chains() -> list[Chain]:
    """Every chain of every page."""
    return [c for page in doc_pages() for c in chains(page)]


def run_chain(
    chain: Chain,
    *,
    fixture: Callable[[str], Any],
    rewrite: Callable[[str], str] = lambda code: code,
    namespace: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the chain's blocks in one namespace, then its ``test_*`` functions; return the namespace.

    ``fixture(name)`` gives a pytest fixture's value; ``rewrite`` adapts a block's code
    (README.md's broker address); ``namespace`` is filled in place (a caller that passes one
    sees what a failing block made, to close it). Line numbers in tracebacks are the page's.
    """
    filename = relative(chain.path)
    namespace = {} if namespace is None else namespace
    namespace["__name__"] = f"doc:{filename}"
    for block in chain.blocks:
        code = "\n" * block.line + rewrite(block.code)
        exec(compile(code, filename, "exec"), namespace)
    for fn in _tests_defined(namespace, filename):
        params = inspect.signature(fn).parameters
        fn(**{name: fixture(name) for name in params})
    return namespace


def _tests_defined(namespace: dict[str, Any], filename: str) -> Iterator[Callable[..., Any]]:
    for name, value in list(namespace.items()):
        if (
            name.startswith("test_")
            and inspect.isfunction(value)
            and value.__code__.co_filename == filename
        ):
            yield value
