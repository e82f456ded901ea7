"""Answers as OpenAI's Responses API gives them: the `Response` object, and a streamed
answer as its semantic events (`openai.types.responses.ResponseStreamEvent`, and the
"Streaming events" page of OpenAI's API reference), each with its `sequence_number`:

    response.created, response.in_progress       the response, status in_progress
    response.output_item.added                   a message item, or a function_call item
    response.content_part.added                  (message) its output_text part
    response.output_text.delta                   (message) some text
    response.function_call_arguments.delta       (function_call) some of its arguments
    ..._text.done / ..._arguments.done, response.content_part.done, response.output_item.done
    response.completed                           the whole response (response.incomplete
                                                 when the model ran out of tokens)

Upstream chunks carry OpenAI chat deltas: text opens a message item; a tool call's
first piece closes the item before and opens a `function_call` item. A failure after
the first chunk is a `response.failed` event carrying the error (the `openai` library
yields it as an event; it raises only for an error status before the stream).
Streams carry no token counts here, so their usage is null.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

import attrs

from neoclone_core import ChatChunk, ChatResponse
from neoclone_gateway._event_stream import sse_event


@attrs.frozen
class Echo:
    """What a `Response` repeats of its request."""

    instructions: str | None = None
    tools: tuple[Any, ...] = ()
    tool_choice: Any = "auto"
    parallel_tool_calls: bool = True
    max_output_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    metadata: Mapping[str, Any] = attrs.field(factory=dict)
    text: Mapping[str, Any] = attrs.field(factory=lambda: {"format": {"type": "text"}})


def response_object(
    response_id: str,
    model: str,
    created: int,
    echo: Echo,
    *,
    output: list[dict[str, Any]],
    finish_reason: str | None = "stop",
    usage: dict[str, Any] | None = None,
    status: str | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A `Response`; its status is "completed", or "incomplete" when the model stopped
    at its token limit (`finish_reason` "length"), unless `status` says otherwise."""
    incomplete = finish_reason == "length"
    return {
        "id": response_id,
        "object": "response",
        "created_at": created,
        "status": status or ("incomplete" if incomplete else "completed"),
        "error": error,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "instructions": echo.instructions,
        "max_output_tokens": echo.max_output_tokens,
        "model": model,
        "output": output,
        "parallel_tool_calls": echo.parallel_tool_calls,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": False,
        "temperature": echo.temperature,
        "text": dict(echo.text),
        "tool_choice": echo.tool_choice,
        "tools": list(echo.tools),
        "top_p": echo.top_p,
        "truncation": "disabled",
        "usage": usage,
        "metadata": dict(echo.metadata),
    }


def _message_item(item_id: str, text: str, status: str) -> dict[str, Any]:
    content = [] if status == "in_progress" else [_text_part(text)]
    return {"id": item_id, "type": "message", "status": status, "role": "assistant",
            "content": content}  # fmt: skip


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _call_item(
    item_id: str, call_id: str, name: str, arguments: str, status: str
) -> dict[str, Any]:
    return {"id": item_id, "type": "function_call", "status": status, "call_id": call_id,
            "name": name, "arguments": arguments}  # fmt: skip


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


@attrs.define
class _Item:
    """An output item being streamed: a message, or a function call."""

    kind: str
    index: int
    id: str
    call_id: str = ""
    name: str = ""
    text: str = ""  # the message's text, or the call's arguments

    def shown(self, status: str) -> dict[str, Any]:
        """The item as the API shows it."""
        if self.kind == "message":
            return _message_item(self.id, self.text, status)
        arguments = "" if status == "in_progress" else self.text
        return _call_item(self.id, self.call_id, self.name, arguments, status)


class ResponseEvents:
    """One answer as a `Response` (`whole`) or as stream events (see the module doc)."""

    def __init__(self, response_id: str, model: str, echo: Echo, created: int) -> None:
        self.response_id = response_id
        self.model = model
        self.echo = echo
        self.created = created
        self._sequence = 0
        self._output: list[dict[str, Any]] = []  # the items so far, each done once closed
        self._open: _Item | None = None  # the item receiving deltas
        self._calls: dict[int, _Item] = {}  # OpenAI's tool-call index -> item
        self._finish_reason: str | None = None

    def whole(self, response: ChatResponse) -> bytes:
        """The `Response` of a finished answer."""
        output = []
        if response.content or not response.tool_calls:
            output.append(_message_item(_new_id("msg"), response.content, "completed"))
        for call in response.tool_calls:
            function = call.get("function") or {}
            output.append(
                _call_item(_new_id("fc"), call.get("id") or _new_id("call"),
                           function.get("name", ""), function.get("arguments") or "",
                           "completed")
            )  # fmt: skip
        body = response_object(
            self.response_id, self.model, self.created, self.echo, output=output,
            finish_reason=response.finish_reason, usage=_usage(response),
        )  # fmt: skip
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()

    def opening(self) -> bytes:
        """`response.created` and `response.in_progress`."""
        snapshot = self._snapshot(status="in_progress")
        return self._event("response.created", response=snapshot) + self._event(
            "response.in_progress", response=snapshot
        )

    def chunk(self, chunk: ChatChunk) -> bytes:
        """Its text and tool-call pieces as item events."""
        out = b""
        if chunk.content:
            item = self._open
            if item is None or item.kind != "message":
                item = self._open_item(_Item("message", len(self._output), _new_id("msg")))
                out += self._added(item) + self._event(
                    "response.content_part.added", item_id=item.id, output_index=item.index,
                    content_index=0, part=_text_part(""),
                )  # fmt: skip
            item.text += chunk.content
            out += self._event(
                "response.output_text.delta", item_id=item.id, output_index=item.index,
                content_index=0, delta=chunk.content, logprobs=[],
            )  # fmt: skip
        for piece in chunk.tool_calls:
            out += self._tool_piece(piece)
        if chunk.finish_reason:
            self._finish_reason = chunk.finish_reason
        return out

    def closing(self) -> bytes:
        """The open item's end, then `response.completed` (or `response.incomplete`)."""
        out = self._close()
        snapshot = self._snapshot()
        name = "response.incomplete" if snapshot["status"] == "incomplete" else "response.completed"
        return out + self._event(name, response=snapshot)

    def failure(self, message: str, code: str) -> bytes:
        """`response.failed`, the response's `error` saying why (OpenAI's `server_error`,
        neoclone's error kind as its `type`)."""
        error = {"code": "server_error", "message": message, "param": None, "type": code}
        return self._event("response.failed", response=self._snapshot("failed", error))

    def _snapshot(
        self, status: str | None = None, error: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return response_object(
            self.response_id, self.model, self.created, self.echo, output=list(self._output),
            finish_reason=self._finish_reason, status=status, error=error,
        )  # fmt: skip

    def _event(self, name: str, **data: Any) -> bytes:
        event = sse_event(name, {**data, "sequence_number": self._sequence})
        self._sequence += 1
        return event

    def _open_item(self, item: _Item) -> _Item:
        self._open = item
        self._output.append(item.shown("in_progress"))
        return item

    def _added(self, item: _Item) -> bytes:
        return self._event(
            "response.output_item.added", output_index=item.index, item=item.shown("in_progress")
        )

    def _tool_piece(self, piece: Mapping[str, Any]) -> bytes:
        out = b""
        function = piece.get("function") or {}
        item = self._calls.get(piece.get("index", 0))
        if item is None:
            out += self._close()
            call_id = piece.get("id") or _new_id("call")
            item = _Item("function_call", len(self._output), _new_id("fc"), call_id)
            item.name = function.get("name", "")
            self._calls[piece.get("index", 0)] = self._open_item(item)
            out += self._added(item)
        if arguments := function.get("arguments"):
            item.text += arguments
            out += self._event(
                "response.function_call_arguments.delta", item_id=item.id,
                output_index=item.index, delta=arguments,
            )  # fmt: skip
        return out

    def _close(self) -> bytes:
        """The events that end the open item, whose finished form joins the output."""
        item, self._open = self._open, None
        if item is None:
            return b""
        at = {"item_id": item.id, "output_index": item.index}
        if item.kind == "message":
            out = self._event(
                "response.output_text.done", **at, content_index=0, text=item.text, logprobs=[]
            ) + self._event(
                "response.content_part.done", **at, content_index=0, part=_text_part(item.text)
            )
        else:
            out = self._event("response.function_call_arguments.done", **at, arguments=item.text)
        done = item.shown("completed")
        self._output[item.index] = done
        return out + self._event("response.output_item.done", output_index=item.index, item=done)


def _usage(response: ChatResponse) -> dict[str, Any] | None:
    prompt, completion = response.usage.prompt_tokens, response.usage.completion_tokens
    if prompt is None and completion is None:
        return None
    prompt, completion = prompt or 0, completion or 0
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + completion,
    }
