"""Blueprints: compositions of the platform layers, with presets (dev, production, local)."""
