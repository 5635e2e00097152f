"""Planning works after the caller used ``asyncio.run()`` (which leaves the thread without a
current event loop): the failure tests and library users do exactly that."""

from __future__ import annotations

import asyncio

from support.plans import platform_from

from marketplace_kit.blueprints.program import plan_platform


async def _nothing() -> None:
    return None


def test_plan_after_asyncio_run() -> None:
    asyncio.run(_nothing())
    first = plan_platform(platform_from({"blueprint": "dev"}))
    asyncio.run(_nothing())
    assert len(plan_platform(platform_from({"blueprint": "dev"}))) == len(first) > 0
