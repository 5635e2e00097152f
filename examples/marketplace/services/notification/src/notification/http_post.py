"""One HTTP POST in a worker thread (standard library ``urllib``): what the channels call
providers with. Redirects are not followed (a provider answers, it does not redirect)."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from dataclasses import dataclass


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


@dataclass(frozen=True)
class Answer:
    """The provider's status and body."""

    status: int
    body: bytes


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return Answer(response.status, response.read(65536))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read(65536))


async def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``body``; any answer is returned, a network failure raises OSError."""
    return await asyncio.to_thread(_post, url, body, headers, timeout)
