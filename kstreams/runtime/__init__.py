"""The runtime: ``KafkaStreams``, stream threads, tasks, record collection, internal topics."""

from kstreams.processor.task_id import TaskId
from kstreams.runtime.kafka_streams import KafkaStreams, State

__all__ = ["KafkaStreams", "State", "TaskId"]
