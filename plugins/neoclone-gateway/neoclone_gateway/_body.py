"""Reading OpenAI's chat-completion request body, and deciding what of it a model sees.

The rule is strict on purpose: the gateway chooses every upstream URL, key and header,
so a field that tries to set one (`api_key`, `base_url`, `extra_headers`, ...) is
refused with a 400 naming it; fields of OpenAI's API that mean something to a model
pass through; anything else is ignored, never sent.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import attrs

from neoclone_core import ChatRequest
from neoclone_gateway._errors import GatewayError

PASSTHROUGH = frozenset(
    {
        "frequency_penalty",
        "logit_bias",
        "logprobs",
        "min_p",
        "parallel_tool_calls",
        "presence_penalty",
        "reasoning_effort",
        "repetition_penalty",
        "response_format",
        "seed",
        "stop",
        "tool_choice",
        "tools",
        "top_k",
        "top_logprobs",
        "top_p",
        "user",
    }
)
"""Request fields of OpenAI's API (and common OpenAI-compatible ones) sent upstream as given."""

_KNOWN = PASSTHROUGH | {
    # read by the gateway itself
    "model", "messages", "stream", "max_tokens", "max_completion_tokens", "temperature",
    "n", "models",
    # OpenAI's, accepted and not sent on (free providers do not take them)
    "stream_options", "metadata", "store", "service_tier", "prompt_cache_key",
    "safety_identifier", "modalities", "audio", "prediction", "web_search_options",
    "functions", "function_call",
}  # fmt: skip
_ROUTING = re.compile(
    r"""(?ix)
    ^(?:api_?key|api_?base|base_?url|url|endpoint|host|headers?|extra_?headers
       |default_?headers|authorization|auth|proxy|proxies|custom_llm_provider)$
    | [_-](?:url|key|base|headers?|secret|token|password|endpoint)$
    """
)
_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


@attrs.frozen
class ChatBody:
    """A chat-completion request as the gateway runs it: the model name asked for, the
    fallbacks given in `models` (OpenRouter's extension), the request, and whether to
    stream."""

    model: str
    request: ChatRequest
    stream: bool = False
    fallbacks: tuple[str, ...] = ()


def parse_chat_body(raw: bytes) -> ChatBody:
    """The body of `POST /v1/chat/completions`; GatewayError 400 naming the field at
    fault for anything invalid or forbidden."""
    try:
        body = json.loads(raw)
    except ValueError:
        raise GatewayError(400, "the request body is not valid JSON") from None
    except RecursionError:  # thousands of nested brackets: valid JSON, but no request
        raise GatewayError(400, "the request body is nested too deeply") from None
    if not isinstance(body, dict):
        raise GatewayError(400, "the request body must be a JSON object")
    for name in body:
        if name not in _KNOWN and _ROUTING.search(name):
            msg = f"'{name}' may not be set: the gateway chooses upstream URLs, keys and headers"
            raise GatewayError(400, msg, param=name, code="forbidden_field")
    if (found := _unsendable(body)) is not None:
        where, why = found
        raise GatewayError(400, f"'{where}' {why}", param=re.split(r"[.\[]", where, maxsplit=1)[0])
    n = body.get("n")
    if n not in (None, 1):
        raise GatewayError(400, "only n = 1 is supported", param="n")
    return ChatBody(
        model=_text(body, "model"),
        request=ChatRequest(
            messages=_messages(body.get("messages")),
            max_tokens=_max_tokens(body),
            temperature=_number(body, "temperature"),
            stream=_flag(body, "stream"),
            params={k: v for k, v in body.items() if k in PASSTHROUGH and v is not None},
        ),
        stream=_flag(body, "stream"),
        fallbacks=_names(body, "models"),
    )


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


def _text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise GatewayError(400, f"'{key}' must be a non-empty string", param=key)
    return value


def _messages(value: object) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not value:
        raise GatewayError(400, "'messages' must be a non-empty array", param="messages")
    for index, message in enumerate(value):
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            msg = f"messages[{index}] must be an object with a role ({', '.join(sorted(_ROLES))})"
            raise GatewayError(400, msg, param="messages")
        if not _is_content(message.get("content")):
            msg = (
                f"messages[{index}].content must be a string, or an array of content parts"
                " (objects with a type)"
            )
            raise GatewayError(400, msg, param="messages")
    return value


def _is_content(content: object) -> bool:
    """OpenAI's message content: a string, a list of typed parts, or none at all (an
    assistant turn that only calls tools); anything else would reach the provider as
    something it cannot read."""
    if content is None or isinstance(content, str):
        return True
    return isinstance(content, list) and all(
        isinstance(part, dict) and isinstance(part.get("type"), str) for part in content
    )


def _max_tokens(body: Mapping[str, Any]) -> int | None:
    for key in ("max_completion_tokens", "max_tokens"):
        value = body.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise GatewayError(400, f"'{key}' must be an integer >= 1", param=key)
        return value
    return None


def _number(body: Mapping[str, Any], key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GatewayError(400, f"'{key}' must be a number", param=key)
    return float(value)


def _flag(body: Mapping[str, Any], key: str) -> bool:
    value = body.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise GatewayError(400, f"'{key}' must be true or false", param=key)
    return value


def _names(body: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = body.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise GatewayError(400, f"'{key}' must be an array of model ids", param=key)
    return tuple(value)
