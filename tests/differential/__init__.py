"""Differential tests: every scenario through Kafka Streams' TopologyTestDriver and ours."""
