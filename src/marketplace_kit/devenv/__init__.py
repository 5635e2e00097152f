"""Real local infrastructure for tests and ``marketplace-kit dev``: PostgreSQL and a Kafka broker.

Both launchers start real processes on free loopback ports, in temporary directories, and stop
them cleanly. Nothing here is a mock.
"""

from marketplace_kit.devenv.broker import Broker
from marketplace_kit.devenv.ports import free_port, wait_for_port
from marketplace_kit.devenv.postgres import Postgres

__all__ = ["Broker", "Postgres", "free_port", "wait_for_port"]
