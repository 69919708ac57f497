"""The runtime: ``KafkaStreams``, stream threads, tasks, record collection, internal topics."""

from kstreams.runtime.kafka_streams import KafkaStreams, State
from kstreams.runtime.task_id import TaskId

__all__ = ["KafkaStreams", "State", "TaskId"]
