"""Reading a request body's fields, the same way for every API the gateway speaks
(OpenAI's chat completions, Anthropic's Messages, OpenAI's Responses).

Each reader raises `GatewayError` 400 naming the field at fault; the API's endpoint
renders it in its own error shape. The rule that a body may not choose an upstream URL,
key or header is here too, so all three APIs refuse the same fields.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Mapping
from typing import Any

from neoclone_gateway._errors import GatewayError

_ROUTING = re.compile(
    r"""(?ix)
    ^(?:api_?key|api_?base|base_?url|url|endpoint|host|headers?|extra_?headers
       |default_?headers|authorization|auth|proxy|proxies|custom_llm_provider)$
    | [_-](?:url|key|base|headers?|secret|token|password|endpoint)$
    """
)

_SUSPECT = re.compile(rb"NaN|Infinity|\\u[dD][89a-fA-F]")


def _json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; 400 for anything else."""
    try:
        body = json.loads(raw)
    except ValueError:
        raise GatewayError(400, "the request body is not valid JSON") from None
    except RecursionError:  # thousands of nested brackets: valid JSON, but no request
        raise GatewayError(400, "the request body is nested too deeply") from None
    if not isinstance(body, dict):
        raise GatewayError(400, "the request body must be a JSON object")
    return body


def request_object(raw: bytes, known: Collection[str]) -> dict[str, Any]:
    """The body as a JSON object that sets no upstream URL, key or header beyond the
    API's `known` fields and holds nothing a provider cannot be sent; GatewayError 400
    naming the field at fault otherwise. Every API the gateway speaks reads its body so."""
    body = _json_object(raw)
    _refuse_routing_fields(body, known)
    if _may_hold_unsendable(raw):
        _refuse_unsendable(body)
    return body


def _may_hold_unsendable(raw: bytes) -> bool:
    """False when the bytes show that `_unsendable` would find nothing: plain UTF-8 (no
    NUL, so not UTF-16 or UTF-32, which Python's JSON reader also takes) without `NaN`,
    `Infinity` or a surrogate escape. Walking a decoded body costs about 70 µs of a
    gateway request's CPU; this test costs a few, so only suspect bodies are walked."""
    if b"\0" in raw or _SUSPECT.search(raw):
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:  # surrogates encoded as bytes, which json reads as text
        return True
    return False


def _refuse_routing_fields(body: Mapping[str, Any], known: Collection[str]) -> None:
    """400 for a field, not among the API's `known` ones, that tries to set an upstream
    URL, key or header: the gateway chooses every one of them."""
    for name in body:
        if name not in known and _ROUTING.search(name):
            msg = f"'{name}' may not be set: the gateway chooses upstream URLs, keys and headers"
            raise GatewayError(400, msg, param=name, code="forbidden_field")


def _refuse_unsendable(body: Mapping[str, Any]) -> None:
    """400 naming the first value no provider can be sent (see `_unsendable`)."""
    if (found := _unsendable(body)) is not None:
        where, why = found
        raise GatewayError(400, f"'{where}' {why}", param=re.split(r"[.\[]", where, maxsplit=1)[0])


def _unsendable(value: object, where: str = "body") -> tuple[str, str] | None:
    """The path of the first value in `value` that no provider can be sent, and why, or
    None. Python's JSON reader takes `NaN` and `Infinity`, which are not JSON, and JSON's
    escapes allow lone UTF-16 surrogates ("\\ud800"), which UTF-8 cannot encode: either
    fails while the upstream call is being built, so it is the caller's 400, not an
    outage of the provider."""
    if (why := _unsendable_scalar(value)) is not None:
        return where, why
    if isinstance(value, dict):
        if any(_unsendable_scalar(key) for key in value):
            return where, "has a field name that cannot be encoded (a lone surrogate)"
        prefix = "" if where == "body" else f"{where}."
        items = [(f"{prefix}{key}", item) for key, item in value.items()]
    elif isinstance(value, list):
        items = [(f"{where}[{index}]", item) for index, item in enumerate(value)]
    else:
        items = []
    return next(
        (found for path, item in items if (found := _unsendable(item, path)) is not None), None
    )


def _unsendable_scalar(value: object) -> str | None:
    """Why a number or a string cannot be sent, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"is {value}, not a finite number"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "holds text that cannot be encoded (a lone surrogate)"
    return None


def text(body: Mapping[str, Any], key: str) -> str:
    """A required non-empty string."""
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise GatewayError(400, f"'{key}' must be a non-empty string", param=key)
    return value


def positive_int(body: Mapping[str, Any], key: str) -> int | None:
    """An optional integer >= 1."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise GatewayError(400, f"'{key}' must be an integer >= 1", param=key)
    return value


def number(body: Mapping[str, Any], key: str) -> float | None:
    """An optional number."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GatewayError(400, f"'{key}' must be a number", param=key)
    return float(value)


def flag(body: Mapping[str, Any], key: str) -> bool:
    """An optional boolean, false when absent."""
    value = body.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise GatewayError(400, f"'{key}' must be true or false", param=key)
    return value


def model_ids(body: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """An optional array of model ids (the fallbacks of OpenRouter's `models` field)."""
    value = body.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise GatewayError(400, f"'{key}' must be an array of model ids", param=key)
    return tuple(value)
