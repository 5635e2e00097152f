"""One classification of failures: is a dependency unavailable right now, or is it the request's
(or the event's) own fault?

Unavailable means PostgreSQL is down, restarting, refusing connections, out of
connections, or too slow for the budget (statement timeout, pool acquire timeout), or the client
lost its connection under a transaction; or the Kafka broker cannot be
reached or timed out.
The API answers these with 503 and ``Retry-After`` (errors.py);
the consumer pauses and retries them without limit, never counting them against an event's
dead-letter budget (consumer.py).
"""

from __future__ import annotations

import errno
import logging
import socket

import asyncpg
from aiokafka.errors import KafkaError, KafkaTimeoutError
from fastapi import Request
from fastapi.responses import JSONResponse

from order.errors import problem, unavailable

log = logging.getLogger(__name__)
_NETWORK_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EHOSTUNREACH,
     errno.ENETUNREACH, errno.ENETDOWN, errno.ETIMEDOUT, errno.EPIPE}
)
# PostgreSQL: connection-class errors (08xxx, incl. ConnectionDoesNotExistError), operator
# intervention (57xxx: shutting down, starting up = CannotConnectNowError, statement timeout =
# QueryCanceledError), too many connections, lock timeouts; on the client's side: the connection
# or pool closed under an operation (InterfaceError) and protocol-state errors
# (InternalClientError).
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,
    asyncpg.InsufficientResourcesError,
    asyncpg.LockNotAvailableError,
    asyncpg.ReadOnlySQLTransactionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)
# InterfaceError subclasses that are a bug or a misconfiguration, not an outage.
_NOT_AN_OUTAGE: tuple[type[Exception], ...] = (
    asyncpg.ClientConfigurationError,
    asyncpg.UnsupportedClientFeatureError,
    asyncpg.UnsupportedServerFeatureError,
)
# Exception types the API maps to 503 (an ``is_unavailable`` check refines the generic ones).
UNAVAILABLE: tuple[type[Exception], ...] = (
    OSError,
    TimeoutError,
    *DATABASE_UNAVAILABLE,
    KafkaError,
)


def _one_is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, _NOT_AN_OUTAGE):
        return False
    if isinstance(exc, DATABASE_UNAVAILABLE):
        return True
    if isinstance(exc, KafkaError):
        return bool(exc.retriable) or isinstance(exc, KafkaTimeoutError)
    if isinstance(exc, TimeoutError | ConnectionError | socket.gaierror):
        return True
    if isinstance(exc, OSError):  # a network failure, or several (one per resolved address)
        return exc.errno in _NETWORK_ERRNOS or str(exc).startswith("Multiple exceptions")
    return False


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) means a dependency is unavailable."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if _one_is_unavailable(current):
            return True
        seen.add(id(current))
        current = current.__cause__
    return False


async def unavailable_response(request: Request, exc: Exception) -> JSONResponse:
    """The API's answer for the UNAVAILABLE types: 503 + Retry-After, or re-raised (a bug: 500)."""
    if not is_unavailable(exc):
        raise exc
    log.warning(
        "dependency unavailable",
        extra={"path": request.url.path, "error": f"{exc.__class__.__name__}: {exc}"[:200]},
    )
    return unavailable()


async def invalid_data_response(request: Request, exc: Exception) -> JSONResponse:
    """422 for a value PostgreSQL refused (class 22: out of range, invalid text, NUL): the
    models bound every field, so this is the last line, not the first."""
    return problem(422, f"a value cannot be stored: {exc}".splitlines()[0][:300])
