"""How much one marketplace.yaml and its service.yaml files may ask for: counts as well as bytes
(``validation/yaml_load.MAX_BYTES``), so that ``plan`` on the largest accepted input stays within
seconds (``bench/config_limits.py`` measures it). Every refusal names the limit.
"""

from __future__ import annotations

# services in services_dir: the largest accepted platform (50 services at every per-service limit,
# 200 topics, ~1200 resources) plans in ~6x the reference marketplace's time
# (bench/config_limits.py: 28.6 s against 4.6 s under a load average of 6 on 2 cores; 100
# services took 20x)
SERVICES = 50
TOPICS = 200  # distinct topics published across the platform (each is two KafkaTopics)
PUBLISHES = 20  # topics one service publishes
CONSUMES = 50  # topics one service consumes (ACL entries, no objects of their own)
PUBLIC_ROUTES = 50  # routes one service opens without a token
CALLS = 50  # services one service calls
ADMIN_PRINCIPALS = 50  # cluster-admin access entries
GATEWAY_HOSTS = 50  # hosts of the ingress Gateway
SIGNING_KEYS = 10  # key ids published at once (rotation keeps two or three)
