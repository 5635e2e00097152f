"""AWS names the config must get right before ``up`` meets them: regions and instance types.

Regions come from the list below (commercial, GovCloud and China partitions as of the kit's
release); a region AWS opens later is accepted once listed in ``extra_regions`` in
marketplace.yaml. Instance types come from the price data the cost estimate uses
(``marketplace_kit/data/prices.yaml``), so whatever plans also has a price.
"""

from __future__ import annotations

from marketplace_kit.estimate.data import priced_items

AWS_REGIONS = frozenset({
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1",
    "mx-central-1", "sa-east-1", "af-south-1", "il-central-1", "me-south-1", "me-central-1",
    "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1",
    "eu-south-2", "eu-north-1", "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
    "ap-southeast-6", "ap-southeast-7", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
})
# price table of prices.yaml -> what its items are, in the user's words
INSTANCE_TABLES = {
    "ec2_instance_hour": "EC2 instance type",
    "rds_instance_hour": "RDS PostgreSQL instance class",
    "docdb_instance_hour": "DocumentDB instance class",
}


def check_region(region: str, extra: list[str]) -> str:
    """``region`` if AWS has it (or it is listed in ``extra``); else ValueError with the fix."""
    if region in AWS_REGIONS or region in extra:
        return region
    raise ValueError(f"{region!r} is not an AWS region the kit knows; fix: use one such as "
                     "us-east-1 or eu-west-1, or list a new region under extra_regions")


def check_instance_type(value: str, table: str) -> str:
    """``value`` if the price data lists it in ``table``; else ValueError naming the choices."""
    known = priced_items(table)
    if value in known:
        return value
    what = INSTANCE_TABLES[table]
    raise ValueError(f"{value!r}: the kit has no price for this {what}; fix: use one of "
                     f"{', '.join(sorted(known))}")
