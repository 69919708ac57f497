"""The table source over a versioned store (Java's ``KTableSource`` with KIP-914 semantics).

Each update is put as a version at the record's timestamp. An update the store
refuses (older than its history retention: ``PUT_RETURN_CODE_NOT_PUT``) is not
forwarded. Any other is forwarded as ``Change(new, old, is_latest)``: ``old`` is the
key's latest value before the put (only when old values are sent), and ``is_latest``
is False for an out-of-order update (older than the key's latest version), which
``to_stream()`` still emits but joins and ``group_by`` of a versioned table ignore.
No record cache: every update is forwarded at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kstreams.processor.change import Change
from kstreams.processor.context import Forward, ProcessorContext
from kstreams.serde.base import Headers
from kstreams.state.versioned import (
    PUT_RETURN_CODE_NOT_PUT,
    PUT_RETURN_CODE_VALID_TO_UNDEFINED,
    VersionedKeyValueStore,
)

log = logging.getLogger(__name__)


def versioned_table_source(
    context: ProcessorContext,
    store: VersionedKeyValueStore[Any],
    send_old_values: bool,
    dropped: Callable[[Any, Any], None],
) -> Forward:
    """The compiled table source putting into ``store`` (``dropped``: counts a null-key record)."""
    forward = context.forward_fn
    get, put = store.get, store.put
    name = store.name

    def versioned_table_source(key: Any, value: Any, ts: int, headers: Headers) -> None:
        if key is None:
            dropped(key, value)
            return
        old = get(key)
        if old is not None and ts < old.timestamp:
            log.warning(
                "Detected out-of-order KTable update for %s, old timestamp=[%d] new timestamp=[%d].",
                name,
                old.timestamp,
                ts,
            )
        code = put(key, value, ts)
        if code == PUT_RETURN_CODE_NOT_PUT:
            return
        old_value = None if old is None or not send_old_values else old.value
        forward(
            key, Change(value, old_value, code == PUT_RETURN_CODE_VALID_TO_UNDEFINED), ts, headers
        )

    return versioned_table_source
