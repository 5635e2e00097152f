"""marketplace.yaml ``datastores``: PostgreSQL (and the refused document store)."""


from __future__ import annotations

from pydantic import (
    Field,
    field_validator,
)

# \Z, not $: "$" also matches before a trailing newline ("orders\n" would pass).
from marketplace_kit.config.base import ConfigModel
from marketplace_kit.validation import aws
from marketplace_kit.validation.names import SERVICE_NAME as SERVICE_NAME
from marketplace_kit.validation.services_dir import SERVICE_FILE as SERVICE_FILE


class PostgresConfig(ConfigModel):
    """RDS PostgreSQL (aws) or in-cluster PostgreSQL (local)."""

    instance_class: str = "db.t4g.medium"
    storage_gib: int = Field(20, ge=20, le=65536)
    multi_az: bool = False
    backup_retention_days: int = Field(7, ge=1, le=35)

    @field_validator("instance_class")
    @classmethod
    def _priced(cls, value: str) -> str:
        return aws.check_instance_type(value, "rds_instance_hour")


class DocumentDbConfig(ConfigModel):
    """Amazon DocumentDB, created only when a service asks for ``datastore: documentdb``."""

    instance_class: str = "db.t4g.medium"
    instances: int = Field(1, ge=1, le=16)

    @field_validator("instance_class")
    @classmethod
    def _priced(cls, value: str) -> str:
        return aws.check_instance_type(value, "docdb_instance_hour")


class DatastoresConfig(ConfigModel):
    """Data stores shared by the services (one database and role per service)."""

    postgres: PostgresConfig = PostgresConfig()
    documentdb: DocumentDbConfig = DocumentDbConfig()
