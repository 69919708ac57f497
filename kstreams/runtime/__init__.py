"""The runtime: ``KafkaStreams``, stream threads, tasks, record collection, internal topics."""

from kstreams.runtime.kafka_streams import KafkaStreams, State
from kstreams.processor.task_id import TaskId

__all__ = ["KafkaStreams", "State", "TaskId"]
