"""Reading OpenAI's chat-completion request body, and deciding what of it a model sees.

The rule is strict on purpose: the gateway chooses every upstream URL, key and header,
so a field that tries to set one (`api_key`, `base_url`, `extra_headers`, ...) is
refused with a 400 naming it; fields of OpenAI's API that mean something to a model
pass through; anything else is ignored, never sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from neoclone_core import ChatRequest
from neoclone_gateway._errors import GatewayError
from neoclone_gateway._fields import (
    flag,
    model_ids,
    number,
    positive_int,
    request_object,
    text,
)

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
    body = request_object(raw, _KNOWN)
    n = body.get("n")
    if n not in (None, 1):
        raise GatewayError(400, "only n = 1 is supported", param="n")
    return ChatBody(
        model=text(body, "model"),
        request=ChatRequest(
            messages=_messages(body.get("messages")),
            max_tokens=_max_tokens(body),
            temperature=number(body, "temperature"),
            stream=flag(body, "stream"),
            params={k: v for k, v in body.items() if k in PASSTHROUGH and v is not None},
        ),
        stream=flag(body, "stream"),
        fallbacks=model_ids(body, "models"),
    )


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
        if body.get(key) is not None:
            return positive_int(body, key)
    return None
