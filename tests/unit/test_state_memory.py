"""The in-memory engine's lazily maintained sorted key list."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from kstreams.state import InMemoryStore, InvalidStateStoreError, StateStoreContext


@pytest.mark.parametrize("batch", [1, 5, 40, 300])
def test_sorted_keys_follow_adds_and_removes(tmp_path: Path, batch: int) -> None:
    rng = random.Random(batch)
    engine = InMemoryStore("m")
    engine.init(StateStoreContext("0_0", "app", 0, str(tmp_path)))
    model: dict[bytes, bytes] = {}
    for _ in range(40):
        items: list[tuple[bytes, bytes | None]] = []
        for _ in range(batch):
            key = b"%03d" % rng.randrange(200)
            value = None if rng.random() < 0.4 else b"v"
            items.append((key, value))
            if value is None:
                model.pop(key, None)
            else:
                model[key] = value
        engine.write(items)
        assert list(engine.range(None, None, False)) == sorted(model.items())
        lo, hi = sorted([b"%03d" % rng.randrange(200), b"%03d" % rng.randrange(200)])
        want = sorted((k, v) for k, v in model.items() if lo <= k < hi)
        assert list(engine.range(lo, hi, True)) == want[::-1]
    assert engine.approximate_num_entries() == len(model)


def test_close_drops_data(tmp_path: Path) -> None:
    engine = InMemoryStore("m")
    ctx = StateStoreContext("0_0", "app", 0, str(tmp_path))
    engine.init(ctx)
    engine.write([(b"a", b"1")], {b"meta": b"x"})
    engine.close()
    with pytest.raises(InvalidStateStoreError):
        engine.get(b"a")
    engine.init(ctx)
    assert engine.get(b"a") is None and engine.get_meta(b"meta") is None
