"""How much one marketplace.yaml and its service.yaml files may ask for: counts as well as bytes
(``validation/yaml_load.MAX_BYTES``), so that ``plan`` on the largest accepted input stays within
seconds (``bench/config_limits.py`` measures it). Every refusal names the limit.
"""

from __future__ import annotations

SERVICES = 100  # services in services_dir (bench/plan_scaling.py: ~15 s to plan 100)
TOPICS = 200  # distinct topics published across the platform (each is two KafkaTopics)
PUBLISHES = 20  # topics one service publishes
CONSUMES = 50  # topics one service consumes (ACL entries, no objects of their own)
PUBLIC_ROUTES = 50  # routes one service opens without a token
CALLS = 50  # services one service calls
ADMIN_PRINCIPALS = 50  # cluster-admin access entries
GATEWAY_HOSTS = 50  # hosts of the ingress Gateway
SIGNING_KEYS = 10  # key ids published at once (rotation keeps two or three)
