"""Errors a reader raises, each with the HTTP status and the message the caller sees."""

from __future__ import annotations

import re

# The analytics views' refusals of a session without a valid principal (docs/security.md).
REFUSAL = re.compile(
    r"analytics_(role|user)\b.*?(is not set|is not an analytics role|has no region entitlements)"
)


class ApiError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(ApiError):
    status = 404
    code = "not_found"


class InvalidParameter(ApiError):
    status = 422
    code = "invalid_parameter"


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    """The views refused the key's principal: what they said, minus the engine's prefix."""

    status = 403
    code = "forbidden"


class Unavailable(ApiError):
    """No published warehouse, or one that cannot be read: retry later."""

    status = 503
    code = "unavailable"


def refusal_in(message: str) -> str | None:
    """The views' refusal in a warehouse error message, from the variable it names on."""
    found = REFUSAL.search(message)
    return message[found.start() :].splitlines()[0] if found else None
