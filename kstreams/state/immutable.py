"""Which values a store may keep as objects: those no user code can change after the fact.

A store hands back, as an old value, a cached value or a changelog value, what was written,
whatever user code later does to the object (Python aggregators mutate and return their
argument). Values of the types below cannot change, so the record cache keeps them as they
are; any other value is kept serialized and deserialized afresh for every reader.
"""

from __future__ import annotations

from typing import Any

IMMUTABLE_SCALARS: frozenset[type] = frozenset({int, float, str, bytes, bool, type(None), complex})
"""Types whose instances never change (exact types: a subclass may add mutable attributes)."""

_IMMUTABLE_NUMBERS = {("decimal", "Decimal"), ("fractions", "Fraction")}
"""Also immutable, recognised by name so that checking costs no import of their modules."""


def is_immutable(value: Any) -> bool:
    """Whether ``value`` can never change: an immutable scalar, or a tuple/frozenset of such.

    Example::

        is_immutable(3)                  # True
        is_immutable(("a", (1, 2.0)))    # True
        is_immutable({"n": 1})           # False
    """
    t = type(value)
    if t in IMMUTABLE_SCALARS or (t.__module__, t.__name__) in _IMMUTABLE_NUMBERS:
        return True
    if t is tuple or t is frozenset:
        return all(is_immutable(v) for v in value)
    if isinstance(value, tuple) and type(value).__setattr__ is tuple.__setattr__:
        # a NamedTuple (ValueAndTimestamp, user records) without a custom __setattr__
        return not hasattr(value, "__dict__") and all(is_immutable(v) for v in value)
    return False
