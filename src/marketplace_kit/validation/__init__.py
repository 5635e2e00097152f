"""The config's validation helpers, one concern per module; ``marketplace_kit.config`` calls them.

Strict where Kubernetes, AWS or Kafka would refuse later: the YAML itself (duplicate keys,
depth), the services directory, Kubernetes quantities and names, AWS regions and instance types,
CIDRs. Every helper raises ``ValueError`` (a field's message) or ``ConfigError`` (one line
naming the file, the key and the fix).
"""
