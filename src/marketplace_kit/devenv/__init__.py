"""Real local infrastructure for tests and ``marketplace-kit dev``: PostgreSQL and Kafka brokers.

Both launchers start real processes on free loopback ports, in temporary directories, and stop
them cleanly. Nothing here is a mock.
"""

from marketplace_kit.devenv.broker import Broker
from marketplace_kit.devenv.kafka import KafkaCluster, KafkaTls
from marketplace_kit.devenv.ports import free_port, wait_for_port
from marketplace_kit.devenv.postgres import Postgres

__all__ = ["Broker", "KafkaCluster", "KafkaTls", "Postgres", "free_port", "wait_for_port"]
