"""``marketplace-kit dev``: the whole marketplace on one machine, without Kubernetes.

One PostgreSQL (a database per service), one tansu Kafka broker (every topic and dead-letter
topic created up front), an SMTP sink, and every service as a uvicorn process run from the
current Python environment (``PYTHONPATH=<service>/src``: nothing is installed at runtime).
"""

from marketplace_kit.devrun.runner import DevOptions, DevRun, run_dev
from marketplace_kit.devrun.services import LocalService, local_services, topics_to_create
from marketplace_kit.devrun.smtp import SmtpSink, running_sink

__all__ = [
    "DevOptions",
    "DevRun",
    "LocalService",
    "SmtpSink",
    "local_services",
    "run_dev",
    "running_sink",
    "topics_to_create",
]
