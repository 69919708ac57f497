"""Which exceptions were already logged with their traceback, so each failure is logged once.

Whoever logs an exception at ERROR with its traceback marks it (:func:`mark_logged`); the
stream thread's error path, finding the mark on the error or on one of its causes
(:func:`already_logged`), does not log the traceback a second time.
"""

from __future__ import annotations

import contextlib
import logging

__all__ = ["already_logged", "log_failure_once", "mark_logged"]

_MARK = "_kstreams_logged"


def mark_logged(exc: BaseException) -> None:
    """Note that ``exc`` was logged at ERROR with its traceback."""
    with contextlib.suppress(AttributeError, TypeError):  # a type without a __dict__
        setattr(exc, _MARK, True)


def already_logged(exc: BaseException | None) -> bool:
    """Whether ``exc`` or one of its explicit causes (``raise ... from``) was marked logged."""
    seen = 0
    while exc is not None and seen < 32:
        if getattr(exc, _MARK, False):
            return True
        exc = exc.__cause__
        seen += 1
    return False


def log_failure_once(log: logging.Logger, who: str, exc: BaseException, then: str) -> None:
    """Log that ``who`` failed with ``exc`` and what happens ``then``, with one traceback.

    ERROR with the traceback; but if ``exc`` or a cause was logged with its traceback
    already (a ``log_and_fail`` exception handler did), a one-line WARNING that refers to it.
    """
    if already_logged(exc):
        log.warning(
            "%s stopped by the error logged above (%s: %s); %s", who, type(exc).__name__, exc, then
        )
        return
    log.error("%s failed: %s: %s; %s", who, type(exc).__name__, exc, then, exc_info=exc)
    mark_logged(exc)
