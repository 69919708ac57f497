"""The base of every exception handler: ``configure`` (Java: ``Configurable``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kstreams.handlers.dead_letter import ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG


class _ConfigurableHandler:
    """Base of all handlers: ``configure`` receives the streams config (Java: ``Configurable``)."""

    dead_letter_queue_topic: str | None = None
    """The ``errors.dead.letter.queue.topic.name`` seen by :meth:`configure`, or None."""

    def configure(self, configs: Mapping[str, Any]) -> None:
        """Receive the application's configuration (the user-given keys and values).

        The base implementation remembers ``errors.dead.letter.queue.topic.name``.
        Subclasses overriding it should call ``super().configure(configs)``.
        """
        topic = configs.get(ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG)
        self.dead_letter_queue_topic = topic or None
