"""The kit's core: contracts shared by ``platform/`` and ``blueprints/`` (imports neither)."""
