"""Contracts between the kit's parts, each defined once and read by both sides."""
