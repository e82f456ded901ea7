"""Anthropic's Messages API (`POST /v1/messages`), translated: the request into OpenAI
chat messages, the answer into a `Message`, errors into Anthropic's error shape.

The contract is the official `anthropic` library's types (`MessageCreateParams` in,
`Message` out, `ErrorResponse` for errors) and Anthropic's Messages API reference
(docs.anthropic.com, "Messages"). What translates:

- `system` (a string or text blocks) becomes a system message;
- `text` and `image` blocks become OpenAI content parts (an image as a data URL or URL);
- an assistant's `tool_use` blocks become its `tool_calls`; a user's `tool_result` blocks
  become `tool` messages (an image inside one follows them in a user message);
- `thinking` blocks of earlier answers are dropped: no other model can read them;
- custom `tools` (`input_schema`) become functions; `tool_choice` and
  `disable_parallel_tool_use` their OpenAI equivalents; `stop_sequences` is `stop`.

Refused with a 400 naming the field: Anthropic's own tools (`bash_20250124`,
`web_search_...`: they run on Anthropic's side), block types no provider takes
(`document`, ...), `mcp_servers` and `container`. `metadata`, `thinking`, `service_tier`
and `cache_control` marks are accepted and not sent on.

An unknown model name that starts with "claude" or "anthropic/claude" (what
Claude-Code-style clients send) runs the automatic plan (`neoclone/auto`); every other
name is resolved as the chat endpoint resolves it. The answer's `model` is the catalog
id of the model that served.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

import attrs

from neoclone_core import ChatRequest, ChatResponse, Neoclone
from neoclone_core.errors import UnknownModelError
from neoclone_gateway._anthropic_stream import MessageEvents, stop_reason
from neoclone_gateway._body import ChatBody
from neoclone_gateway._errors import GatewayError
from neoclone_gateway._fields import (
    flag,
    model_ids,
    number,
    positive_int,
    request_object,
    text,
)
from neoclone_gateway._names import AUTO, aliases

_KNOWN = frozenset(
    {
        "model", "models", "messages", "system", "max_tokens", "stop_sequences", "stream",
        "temperature", "top_p", "top_k", "tools", "tool_choice", "metadata", "thinking",
        "service_tier", "mcp_servers", "container",
    }
)  # fmt: skip
_SERVER_SIDE = ("mcp_servers", "container")  # features that run on Anthropic's side


def message_id() -> str:
    """A new message id, in Anthropic's style."""
    return f"msg_{uuid.uuid4().hex}"


def claude_to_auto(neoclone: Neoclone, name: str) -> str:
    """`neoclone/auto` for a Claude model name neoclone does not know (the name a
    Claude-Code-style client sends by default); any other name unchanged."""
    if not name.lower().removeprefix("anthropic/").startswith("claude"):
        return name
    if name in aliases() or name in neoclone.sessions:
        return name
    try:
        neoclone.model(name)
    except UnknownModelError:
        return AUTO
    return name


@attrs.frozen
class MessagesTranslation:
    """A Messages request read (see the module doc)."""

    body: ChatBody

    def answer(self, response: ChatResponse) -> bytes:
        """A `Message` object (`anthropic.types.Message`)."""
        content: list[dict[str, Any]] = []
        if response.content or not response.tool_calls:
            content.append({"type": "text", "text": response.content})
        content += [_tool_use_block(call) for call in response.tool_calls]
        usage = response.usage
        message = {
            "id": message_id(),
            "type": "message",
            "role": "assistant",
            "model": response.model_id,
            "content": content,
            "stop_reason": stop_reason(response.finish_reason, bool(response.tool_calls)),
            "stop_sequence": None,
            "usage": {
                "input_tokens": usage.prompt_tokens or 0,
                "output_tokens": usage.completion_tokens or 0,
            },
        }
        return _dumps(message)

    def events(self, model: str) -> MessageEvents:
        """The stream's events (`anthropic.types.RawMessageStreamEvent`)."""
        return MessageEvents(message_id(), model)


def parse_messages(raw: bytes) -> MessagesTranslation:
    """The body of `POST /v1/messages`; GatewayError 400 naming the field at fault."""
    body = request_object(raw, _KNOWN)
    for name in _SERVER_SIDE:
        if body.get(name):
            msg = f"'{name}' is not supported: it runs on Anthropic's side"
            raise GatewayError(400, msg, param=name)
    max_tokens = positive_int(body, "max_tokens")
    if max_tokens is None:
        raise GatewayError(400, "'max_tokens' is required (an integer >= 1)", param="max_tokens")
    params: dict[str, Any] = {}
    for name in ("top_p", "top_k"):
        if (value := number(body, name)) is not None:
            params[name] = value if name == "top_p" else int(value)
    if (stop := body.get("stop_sequences")) is not None:
        if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
            raise GatewayError(
                400, "'stop_sequences' must be an array of strings", param="stop_sequences"
            )
        params["stop"] = stop
    params.update(_tools(body))
    stream = flag(body, "stream")
    messages = [*_system(body.get("system")), *_messages(body.get("messages"))]
    request = ChatRequest(
        messages=messages,
        max_tokens=max_tokens,
        temperature=number(body, "temperature"),
        stream=stream,
        params=params,
    )
    chat = ChatBody(text(body, "model"), request, stream, model_ids(body, "models"))
    return MessagesTranslation(chat)


def _system(system: object) -> list[dict[str, Any]]:
    if system is None or system == "":
        return []
    if isinstance(system, str):
        return [{"role": "system", "content": system}]
    if isinstance(system, list) and all(
        isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str)
        for b in system
    ):
        return [{"role": "system", "content": "\n\n".join(b["text"] for b in system)}]
    raise GatewayError(400, "'system' must be a string or an array of text blocks", param="system")


def _messages(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise GatewayError(400, "'messages' must be a non-empty array", param="messages")
    translated: list[dict[str, Any]] = []
    for index, message in enumerate(value):
        where = f"messages[{index}]"
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            msg = f"{where} must be an object with a role (user, assistant)"
            raise GatewayError(400, msg, param="messages")
        content = message.get("content")
        if isinstance(content, str):
            translated.append({"role": message["role"], "content": content})
            continue
        if not isinstance(content, list) or not all(isinstance(b, dict) for b in content):
            msg = f"{where}.content must be a string or an array of content blocks"
            raise GatewayError(400, msg, param="messages")
        read = _assistant if message["role"] == "assistant" else _user
        translated += read(content, where)
    return translated


def _assistant(blocks: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
    """One assistant turn: its text, and its tool calls."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for index, block in enumerate(blocks):
        kind = block.get("type")
        if kind == "text":
            texts.append(_block_text(block, f"{where}.content[{index}]"))
        elif kind == "tool_use":
            calls.append(_tool_call(block, f"{where}.content[{index}]"))
        elif kind not in ("thinking", "redacted_thinking"):
            raise _unsupported_block(kind, f"{where}.content[{index}]")
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts)}
    if calls:
        message["tool_calls"] = calls
        message["content"] = message["content"] or None
    return [message]


def _user(blocks: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
    """One user turn: a `tool` message per tool result (first, as OpenAI wants them right
    after the calls), then the user's own text and images."""
    results: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for index, block in enumerate(blocks):
        at = f"{where}.content[{index}]"
        kind = block.get("type")
        if kind == "text":
            parts.append({"type": "text", "text": _block_text(block, at)})
        elif kind == "image":
            parts.append(_image(block, at))
        elif kind == "tool_result":
            result, images = _tool_result(block, at)
            results.append(result)
            parts += images
        else:
            raise _unsupported_block(kind, at)
    turn = [{"role": "user", "content": parts}] if parts else []
    return results + turn


def _block_text(block: Mapping[str, Any], at: str) -> str:
    value = block.get("text")
    if not isinstance(value, str):
        raise GatewayError(400, f"'{at}.text' must be a string", param="messages")
    return value


def _image(block: Mapping[str, Any], at: str) -> dict[str, Any]:
    """An image block as OpenAI's `image_url` part: a data URL, or the URL itself."""
    source = block.get("source")
    if isinstance(source, dict) and source.get("type") == "base64":
        media, data = source.get("media_type"), source.get("data")
        if isinstance(media, str) and isinstance(data, str):
            return {"type": "image_url", "image_url": {"url": f"data:{media};base64,{data}"}}
    if isinstance(source, dict) and isinstance(url := source.get("url"), str):
        return {"type": "image_url", "image_url": {"url": url}}
    msg = f"'{at}.source' must be a base64 image (media_type, data) or a url"
    raise GatewayError(400, msg, param="messages")


def _tool_call(block: Mapping[str, Any], at: str) -> dict[str, Any]:
    call_id, name, arguments = block.get("id"), block.get("name"), block.get("input")
    if not isinstance(call_id, str) or not isinstance(name, str) or not isinstance(arguments, dict):
        msg = f"'{at}' must have an id, a name and an input object"
        raise GatewayError(400, msg, param="messages")
    function = {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)}
    return {"id": call_id, "type": "function", "function": function}


def _tool_result(block: Mapping[str, Any], at: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A `tool` message, and the images of the result (a tool message holds only text)."""
    call_id = block.get("tool_use_id")
    if not isinstance(call_id, str):
        raise GatewayError(400, f"'{at}.tool_use_id' must be a string", param="messages")
    content = block.get("content", "")
    texts: list[str] = []
    images: list[dict[str, Any]] = []
    if isinstance(content, str):
        texts.append(content)
    elif isinstance(content, list):
        for index, part in enumerate(content):
            where = f"{at}.content[{index}]"
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                texts.append(_block_text(part, where))
            elif kind == "image":
                images.append(_image(part, where))
            else:
                raise _unsupported_block(kind, where)
    else:
        msg = f"'{at}.content' must be a string or an array of blocks"
        raise GatewayError(400, msg, param="messages")
    return {"role": "tool", "tool_call_id": call_id, "content": "\n".join(texts)}, images


def _unsupported_block(kind: object, at: str) -> GatewayError:
    msg = f"'{at}' is a {kind!r} block, which the gateway does not translate"
    return GatewayError(400, msg, param="messages")


def _tools(body: Mapping[str, Any]) -> dict[str, Any]:
    """`tools`, `tool_choice` and `parallel_tool_calls` in OpenAI's shape."""
    tools = body.get("tools")
    if not tools:
        return {}
    if not isinstance(tools, list):
        raise GatewayError(400, "'tools' must be an array of tools", param="tools")
    functions = [_function(tool, index) for index, tool in enumerate(tools)]
    params: dict[str, Any] = {"tools": functions}
    choice = body.get("tool_choice")
    if choice is None:
        return params
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind in ("auto", "any", "none"):
        params["tool_choice"] = {"auto": "auto", "any": "required", "none": "none"}[kind]
    elif kind == "tool" and isinstance(choice.get("name"), str):
        params["tool_choice"] = {"type": "function", "function": {"name": choice["name"]}}
    else:
        msg = "'tool_choice' must be {type: auto | any | none} or {type: tool, name}"
        raise GatewayError(400, msg, param="tool_choice")
    if isinstance(choice, dict) and choice.get("disable_parallel_tool_use") is True:
        params["parallel_tool_calls"] = False
    return params


def _function(tool: object, index: int) -> dict[str, Any]:
    """A custom tool as an OpenAI function; Anthropic's own tools (a versioned `type`)
    run on Anthropic's side, so no other model can serve them."""
    if not isinstance(tool, dict):
        raise GatewayError(400, f"'tools[{index}]' must be an object", param="tools")
    kind = tool.get("type", "custom")
    if kind != "custom":
        msg = f"'tools[{index}].type' is {kind!r}: only custom tools (with input_schema) are served"
        raise GatewayError(400, msg, param="tools")
    name, schema = tool.get("name"), tool.get("input_schema")
    if not isinstance(name, str) or not isinstance(schema, dict):
        msg = f"'tools[{index}]' must have a name and an input_schema object"
        raise GatewayError(400, msg, param="tools")
    function: dict[str, Any] = {"name": name, "parameters": schema}
    if isinstance(description := tool.get("description"), str):
        function["description"] = description
    return {"type": "function", "function": function}


def _tool_use_block(call: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAI tool call as a `tool_use` block; arguments that are not a JSON object
    (a model's malformed call) arrive as an empty input."""
    function = call.get("function") or {}
    try:
        arguments = json.loads(function.get("arguments") or "{}")
    except ValueError:
        arguments = {}
    return {
        "type": "tool_use",
        "id": call.get("id") or f"toolu_{uuid.uuid4().hex}",
        "name": function.get("name", ""),
        "input": arguments if isinstance(arguments, dict) else {},
    }


def _dumps(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
