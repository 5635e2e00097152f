"""marketplace-kit: a platform kit for event-driven marketplaces on AWS, in Python and Pulumi."""

__version__ = "0.1.0"
