"""The scenario registry, the serde pairs and the input data several scenarios share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kstreams import StreamsBuilder

from ..harness import Scenario

#: every scenario, in registration order (the order of the test ids)
SCENARIOS: list[Scenario] = []

S = ("String", "String")
SL = ("String", "Long")
SJ = ("String", "JSON")


def scenario(**data: Any) -> Callable[[Callable[[StreamsBuilder], None]], Callable[..., None]]:
    """Register the decorated topology function as a scenario named after it."""

    def register(build: Callable[[StreamsBuilder], None]) -> Callable[[StreamsBuilder], None]:
        SCENARIOS.append(Scenario(name=build.__name__, build=build, **data))
        return build

    return register


def js(value: Any) -> str:
    """Java's ``String.valueOf``: what ``"" + value`` gives in the Java twin (null as "null")."""
    return "null" if value is None else str(value)


# (key, value, timestamp): out of order, a null key, a null value
RECORDS = [
    ("a", "x", 10),
    ("b", "y", 5),
    ("a", "z", 3),
    (None, "v", 20),
    ("a", None, 30),
    ("b", "w", 7),
    ("c", "xyz", 12),
]

LINES = [
    ("l1", "hello kafka streams", 100),
    ("l2", "hello python", 110),
    ("l3", "Kafka and Python", 105),
    ("l4", "streams", 130),
]

# users -> region: u1 moves from EU to US and back, u2 is deleted, u3 is deleted before it
# exists, a null key, a late record, an update to the same region
USERS = [
    ("u1", "EU", 10),
    ("u2", "EU", 20),
    ("u1", "US", 15),
    ("u3", None, 35),
    ("u1", "US", 25),
    ("u2", None, 30),
    (None, "EU", 40),
    ("u4", "APAC", 5),
    ("u1", "EU", 50),
    ("u3", "US", 45),
]
