"""Errors as OpenAI clients expect them: a status code, and a body of the shape
`{"error": {"message", "type", "param", "code"}}`, which the `openai` library turns
into its own exception classes (404 `NotFoundError`, 429 `RateLimitError`, ...).
Anthropic's Messages endpoint answers its errors in Anthropic's shape instead
(`error_body`), which the `anthropic` library reads the same way.

Every message that quotes a provider passes through `redact` with the keys neoclone
holds, so no upstream error that echoes a key can carry it to a client.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from neoclone_core import Secret, redact
from neoclone_core.errors import (
    BadRequestError,
    ContextTooLongError,
    PermanentError,
    ProviderError,
)

INVALID_REQUEST = "invalid_request_error"
SERVER_ERROR = "server_error"
RATE_LIMIT = "rate_limit_error"
JSON_TYPE = "application/json"
MESSAGES_PATH = "/v1/messages"  # Anthropic's Messages API, whose errors have their own shape
_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    408: "timeout_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
}


class GatewayError(Exception):
    """A request the gateway answers with an error: status, message, OpenAI's `type`
    and `code`, the `param` at fault, extra headers (Retry-After) and extra fields of
    the error object (the attempts of a request no model served)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = INVALID_REQUEST,  # OpenAI's name for the field
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> bytes:
        """The JSON body, OpenAI's shape."""
        error = {"message": self.message, "type": self.type, "param": self.param}
        error["code"] = self.code
        return json.dumps({"error": {**error, **self.extra}}, separators=(",", ":")).encode()

    def asgi_headers(self) -> list[tuple[bytes, bytes]]:
        """The response headers as ASGI wants them."""
        headers = {"content-type": JSON_TYPE, **self.headers}
        return [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()]


def from_provider_error(error: ProviderError, secrets: Iterable[Secret | None]) -> GatewayError:
    """An error the fallback strategy returned to the caller (a bad request), as the
    client's error it is; any other class means the upstream failed: 502."""
    message = redact(str(error), secrets)
    if isinstance(error, ContextTooLongError):
        return GatewayError(400, message, code="context_length_exceeded", param="messages")
    if isinstance(error, BadRequestError):
        return GatewayError(400, message, code=error.kind)
    kind = "upstream_refused" if isinstance(error, PermanentError) else error.kind
    return GatewayError(502, message, type=SERVER_ERROR, code=kind)


def internal_error() -> GatewayError:
    """What a client sees of a bug in the gateway: nothing of its details."""
    return GatewayError(500, "internal error in the gateway", type=SERVER_ERROR, code="internal")


def error_body(error: GatewayError, path: str) -> bytes:
    """The body of `error` in the shape of the API `path` belongs to: Anthropic's
    (`anthropic.types.ErrorResponse`, with neoclone's `code`, `param` and attempts beside
    the message) for the Messages endpoint and the paths below it (a 404 for Anthropic's
    `count_tokens`, which the gateway does not serve), OpenAI's for every other."""
    if path != MESSAGES_PATH and not path.startswith(MESSAGES_PATH + "/"):
        return error.body()
    default = "api_error" if error.status >= 500 else "invalid_request_error"
    kind = _ANTHROPIC_TYPES.get(error.status, default)
    detail = {"type": kind, "message": error.message, "code": error.code, "param": error.param}
    body = {"type": "error", "error": {**detail, **error.extra}}
    return json.dumps(body, separators=(",", ":")).encode()
