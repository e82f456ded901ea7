"""OpenAI's Responses API (`POST /v1/responses`), translated: the request into chat
messages, the answer into a `Response` object.

The contract is the official `openai` library's types (`ResponseCreateParams` in,
`openai.types.responses.Response` out) and OpenAI's API reference ("Responses",
platform.openai.com/docs/api-reference/responses). What translates:

- `instructions` becomes a system message; `input` a user message (a string) or, item
  by item, messages (`input_text`, `output_text` and `input_image` parts), an
  assistant's `function_call`s (its `tool_calls`) and `function_call_output`s (`tool`
  messages); `reasoning` items are dropped (no other model can read them);
- `function` tools become chat functions; `tool_choice`, `parallel_tool_calls`,
  `max_output_tokens`, `temperature`, `top_p`, `text.format` (`response_format`) and
  `reasoning.effort` (`reasoning_effort`) their chat equivalents.

The gateway keeps no state: nothing is stored (the answer says `store: false`), so
`previous_response_id`, `conversation`, `prompt` templates, `item_reference`s and
`background` are refused with a 400 naming the field, as are built-in tools
(`web_search`, `file_search`, ...: they run on OpenAI's side) and file inputs. Errors
have OpenAI's shape, as on every other OpenAI endpoint.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

import attrs

from neoclone_core import ChatRequest, ChatResponse
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
from neoclone_gateway._responses_stream import Echo, ResponseEvents

_KNOWN = frozenset(
    {
        "model", "models", "input", "instructions", "max_output_tokens", "temperature", "top_p",
        "tools", "tool_choice", "parallel_tool_calls", "stream", "stream_options", "store",
        "metadata", "user", "safety_identifier", "prompt_cache_key", "service_tier", "text",
        "reasoning", "include", "truncation", "top_logprobs", "max_tool_calls",
        "previous_response_id", "conversation", "prompt", "background",
    }
)  # fmt: skip
_STATEFUL = {
    "previous_response_id": "the gateway keeps no responses: send the whole conversation",
    "conversation": "the gateway keeps no conversations: send the whole conversation",
    "prompt": "the gateway keeps no prompt templates",
    "background": "the gateway runs no responses in the background",
}
_ROLES = frozenset({"user", "assistant", "system", "developer"})
_TEXT_PARTS = frozenset({"input_text", "output_text"})


def response_id() -> str:
    """A new response id, in OpenAI's style."""
    return f"resp_{uuid.uuid4().hex}"


@attrs.frozen
class ResponsesTranslation:
    """A Responses request read (see the module doc), with what the answer echoes."""

    body: ChatBody
    echo: Echo

    def answer(self, response: ChatResponse) -> bytes:
        """A `Response` object (`openai.types.responses.Response`)."""
        events = ResponseEvents(response_id(), response.model_id, self.echo, int(time.time()))
        return events.whole(response)

    def events(self, model: str) -> ResponseEvents:
        """The stream's events (`openai.types.responses.ResponseStreamEvent`)."""
        return ResponseEvents(response_id(), model, self.echo, int(time.time()))


def parse_responses(raw: bytes) -> ResponsesTranslation:
    """The body of `POST /v1/responses`; GatewayError 400 naming the field at fault."""
    body = request_object(raw, _KNOWN)
    for name, why in _STATEFUL.items():
        if body.get(name):
            raise GatewayError(400, f"'{name}' is not supported: {why}", param=name)
    params: dict[str, Any] = {}
    if (top_p := number(body, "top_p")) is not None:
        params["top_p"] = top_p
    if isinstance(body.get("parallel_tool_calls"), bool):
        params["parallel_tool_calls"] = body["parallel_tool_calls"]
    params.update(_tools(body))
    params.update(_text_format(body.get("text")))
    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict) and isinstance(reasoning.get("effort"), str):
        params["reasoning_effort"] = reasoning["effort"]
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise GatewayError(400, "'instructions' must be a string", param="instructions")
    system = [{"role": "system", "content": instructions}] if instructions else []
    stream = flag(body, "stream")
    request = ChatRequest(
        messages=[*system, *_input(body.get("input"))],
        max_tokens=positive_int(body, "max_output_tokens"),
        temperature=number(body, "temperature"),
        stream=stream,
        params=params,
    )
    echo = Echo(
        instructions=instructions,
        tools=tuple(body.get("tools") or ()),
        tool_choice=body.get("tool_choice", "auto"),
        parallel_tool_calls=params.get("parallel_tool_calls", True),
        max_output_tokens=request.max_tokens,
        temperature=request.temperature,
        top_p=top_p,
        metadata=metadata if isinstance(metadata := body.get("metadata"), dict) else {},
        text=text_config if isinstance(text_config := body.get("text"), dict) else {},
    )
    chat = ChatBody(text(body, "model"), request, stream, model_ids(body, "models"))
    return ResponsesTranslation(chat, echo)


def _input(value: object) -> list[dict[str, Any]]:
    if isinstance(value, str) and value:
        return [{"role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        msg = "'input' must be a non-empty string or a non-empty array of items"
        raise GatewayError(400, msg, param="input")
    messages: list[dict[str, Any]] = []
    for index, item in enumerate(value):
        where = f"input[{index}]"
        if not isinstance(item, dict):
            raise GatewayError(400, f"'{where}' must be an object", param="input")
        kind = item.get("type", "message")
        if kind == "message":
            messages.append(_message(item, where))
        elif kind == "function_call":
            _add_call(messages, _call(item, where))
        elif kind == "function_call_output":
            messages += _call_output(item, where)
        elif kind != "reasoning":
            msg = f"'{where}' is a {kind!r} item, which the gateway does not translate"
            raise GatewayError(400, msg, param="input")
    return messages


def _message(item: Mapping[str, Any], where: str) -> dict[str, Any]:
    role = item.get("role")
    if role not in _ROLES:
        msg = f"'{where}.role' must be one of {', '.join(sorted(_ROLES))}"
        raise GatewayError(400, msg, param="input")
    content = item.get("content")
    if isinstance(content, str):
        return {"role": role, "content": content}
    if not isinstance(content, list):
        msg = f"'{where}.content' must be a string or an array of content parts"
        raise GatewayError(400, msg, param="input")
    parts = [_part(part, f"{where}.content[{i}]") for i, part in enumerate(content)]
    if role != "user":  # only a user's turn takes images: the others are text
        return {"role": role, "content": "".join(p.get("text", "") for p in parts)}
    return {"role": role, "content": parts}


def _part(part: object, where: str) -> dict[str, Any]:
    """An input content part as a chat content part."""
    kind = part.get("type") if isinstance(part, dict) else None
    if isinstance(part, dict) and kind in _TEXT_PARTS and isinstance(part.get("text"), str):
        return {"type": "text", "text": part["text"]}
    if isinstance(part, dict) and kind == "refusal" and isinstance(part.get("refusal"), str):
        return {"type": "text", "text": part["refusal"]}
    if isinstance(part, dict) and kind == "input_image" and isinstance(part.get("image_url"), str):
        image: dict[str, Any] = {"url": part["image_url"]}
        if isinstance(part.get("detail"), str):
            image["detail"] = part["detail"]
        return {"type": "image_url", "image_url": image}
    why = "(images by file_id and files are not supported)" if kind else "(no type)"
    msg = f"'{where}' is a content part the gateway does not translate {why}"
    raise GatewayError(400, msg, param="input")


def _call(item: Mapping[str, Any], where: str) -> dict[str, Any]:
    call_id, name, arguments = item.get("call_id"), item.get("name"), item.get("arguments")
    if not all(isinstance(v, str) for v in (call_id, name, arguments)):
        msg = f"'{where}' must have call_id, name and arguments strings"
        raise GatewayError(400, msg, param="input")
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _add_call(messages: list[dict[str, Any]], call: dict[str, Any]) -> None:
    """A function call joins the assistant turn just before it, or opens one: the
    calls of one turn are one assistant message in the chat API."""
    last = messages[-1] if messages else None
    if last is not None and last["role"] == "assistant":
        last.setdefault("tool_calls", []).append(call)
        last["content"] = last.get("content") or None
    else:
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})


def _call_output(item: Mapping[str, Any], where: str) -> list[dict[str, Any]]:
    """A `tool` message; the images of an output given as parts follow it in a user
    message, as a tool message holds only text."""
    call_id, output = item.get("call_id"), item.get("output")
    images: list[dict[str, Any]] = []
    if isinstance(output, list):
        parts = [_part(p, f"{where}.output[{i}]") for i, p in enumerate(output)]
        output = "".join(p.get("text", "") for p in parts)
        images = [p for p in parts if p["type"] == "image_url"]
    if not isinstance(call_id, str) or not isinstance(output, str):
        msg = f"'{where}' must have a call_id string and an output"
        raise GatewayError(400, msg, param="input")
    result = {"role": "tool", "tool_call_id": call_id, "content": output}
    return [result, {"role": "user", "content": images}] if images else [result]


def _tools(body: Mapping[str, Any]) -> dict[str, Any]:
    """Function tools and `tool_choice` in the chat API's shape."""
    tools = body.get("tools")
    params: dict[str, Any] = {}
    if tools:
        if not isinstance(tools, list):
            raise GatewayError(400, "'tools' must be an array of tools", param="tools")
        params["tools"] = [_function(tool, index) for index, tool in enumerate(tools)]
    choice = body.get("tool_choice")
    if choice is None:
        return params
    if choice in ("auto", "none", "required"):
        params["tool_choice"] = choice
    elif (
        isinstance(choice, dict)
        and choice.get("type") == "function"
        and isinstance(choice.get("name"), str)
    ):
        params["tool_choice"] = {"type": "function", "function": {"name": choice["name"]}}
    else:
        msg = "'tool_choice' must be auto, none, required or {type: function, name}"
        raise GatewayError(400, msg, param="tool_choice")
    return params


def _function(tool: object, index: int) -> dict[str, Any]:
    kind = tool.get("type") if isinstance(tool, dict) else None
    if not isinstance(tool, dict) or kind != "function":
        msg = (
            f"'tools[{index}].type' is {kind!r}: only function tools are served"
            " (built-in tools run on OpenAI's side)"
        )
        raise GatewayError(400, msg, param="tools")
    if not isinstance(tool.get("name"), str):
        raise GatewayError(400, f"'tools[{index}].name' must be a string", param="tools")
    function = {k: tool[k] for k in ("name", "description", "parameters", "strict") if k in tool}
    return {"type": "function", "function": function}


def _text_format(value: object) -> dict[str, Any]:
    """`text.format` as the chat API's `response_format`."""
    fmt = value.get("format") if isinstance(value, dict) else None
    if fmt is None:
        return {}
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "text":
        return {}
    if kind == "json_object":
        return {"response_format": {"type": "json_object"}}
    if kind == "json_schema" and isinstance(fmt, dict) and isinstance(fmt.get("schema"), dict):
        schema = {k: fmt[k] for k in ("name", "schema", "strict", "description") if k in fmt}
        return {"response_format": {"type": "json_schema", "json_schema": schema}}
    msg = "'text.format' must be {type: text | json_object} or {type: json_schema, schema}"
    raise GatewayError(400, msg, param="text")
