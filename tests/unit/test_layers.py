"""The layers of DESIGN.md, checked on the imports of every module.

``dsl`` knows ``topology`` and ``processor``, never ``runtime``; ``processor`` never imports
``runtime``; ``state`` knows nothing of the DSL, the processors, the topology or the runtime.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "kstreams"

FORBIDDEN = {
    "dsl": ("kstreams.runtime", "kstreams.testing"),
    "processor": ("kstreams.runtime", "kstreams.dsl", "kstreams.testing"),
    "topology": ("kstreams.runtime", "kstreams.dsl", "kstreams.testing"),
    "state": (
        "kstreams.runtime",
        "kstreams.dsl",
        "kstreams.processor",
        "kstreams.topology",
        "kstreams.testing",
    ),
}


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer: str) -> None:
    bad = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in sorted(imports_of(path)):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[layer]):
                bad.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert not bad, "\n".join(bad)
