"""Who may write: a bearer token from the settings, compared in constant time.

Without a configured token (``write_token`` or its hashed form ``write_token_sha256``) the
service is read-only and every write is refused with 403. With one, a write without
``Authorization: Bearer ...`` gets 401 and a wrong token 403.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kringloop.graph import Store
from kringloop.service.deps import settings_of, store_of
from kringloop.service.errors import Forbidden, Unauthorized
from kringloop.service.settings import Settings

#: Shown in the OpenAPI docs ("Authorize"); missing credentials are handled below, not by it.
bearer = HTTPBearer(auto_error=False, description="the service's write token")


def token_matches(presented: str, settings: Settings) -> bool:
    """Whether ``presented`` is the write token (plain or hashed in the settings).

    >>> from pydantic import SecretStr
    >>> s = Settings(write_token=SecretStr("s3cret"))
    >>> token_matches("s3cret", s), token_matches("guess", s)
    (True, False)
    >>> token_matches("s3cret", Settings(write_token_sha256=hashlib.sha256(b"s3cret").hexdigest()))
    True
    """
    given = presented.encode()
    ok = False
    if settings.write_token is not None:
        expected = settings.write_token.get_secret_value().encode()
        ok |= hmac.compare_digest(given, expected)
    if settings.write_token_sha256:
        digest = hashlib.sha256(given).hexdigest()
        ok |= hmac.compare_digest(digest, settings.write_token_sha256.strip().lower())
    return ok


def check_writer(
    credentials: HTTPAuthorizationCredentials | None, settings: Settings, store: Store
) -> None:
    """Raise unless the request may write."""
    if settings.write_token is None and not settings.write_token_sha256:
        raise Forbidden(
            "this service is read-only: no write token is configured",
            hint="the operator enables writes by setting KRINGLOOP_WRITE_TOKEN (or "
            "KRINGLOOP_WRITE_TOKEN_SHA256); clients then send Authorization: Bearer <token>",
        )
    if store.read_only:
        raise Forbidden(
            f"the store at {store.location} is open read-only",
            hint="writes go to the process that holds the store for writing",
        )
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized(
            "writing needs the service's write token",
            hint="send it as Authorization: Bearer <token>",
        )
    if not token_matches(credentials.credentials, settings):
        raise Forbidden("the write token is wrong", hint="check the token you were given")


async def require_writer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Dependency for routes that write: 401/403 unless the bearer token is right."""
    check_writer(credentials, settings_of(request), store_of(request))
