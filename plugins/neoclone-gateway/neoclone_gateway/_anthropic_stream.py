"""A streamed answer as Anthropic's Messages events (`anthropic.types.RawMessageStreamEvent`,
and the "Streaming Messages" page of Anthropic's docs):

    message_start                   the message, content empty
    content_block_start  index n    a text block, or a tool_use block (id, name, input {})
    content_block_delta  index n    text_delta (text) or input_json_delta (partial_json)
    content_block_stop   index n
    ...                             one block after the other
    message_delta                   stop_reason, and the usage
    message_stop

Upstream chunks carry OpenAI's deltas: text, and tool-call pieces named by their
`index`, the first with the call's id and function name, every one some of its
arguments. Text opens a text block; a tool call's first piece closes the block before
and opens a `tool_use` block; its pieces are `input_json_delta`s of that block.
A failure after the first chunk is an `error` event, which the `anthropic` library
raises. Streams carry no token counts here, so the usage is zero.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from neoclone_core import ChatChunk
from neoclone_gateway._event_stream import sse_event

_STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def stop_reason(finish_reason: str | None, called_tools: bool) -> str:
    """Anthropic's `stop_reason` for an OpenAI `finish_reason`."""
    if finish_reason in _STOP_REASONS:
        return _STOP_REASONS[finish_reason]
    return "tool_use" if called_tools else "end_turn"


class MessageEvents:
    """The events of one streamed message (see the module doc)."""

    def __init__(self, message_id: str, model: str) -> None:
        self.message_id = message_id
        self.model = model
        self._open: int | None = None  # the block receiving deltas
        self._blocks = 0
        self._open_is_text = False
        self._calls: dict[int, int] = {}  # OpenAI's tool-call index -> block index
        self._finish_reason: str | None = None

    def opening(self) -> bytes:
        """`message_start`, with the message still empty."""
        message: dict[str, Any] = {
            "id": self.message_id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return sse_event("message_start", {"message": message})

    def chunk(self, chunk: ChatChunk) -> bytes:
        """Its text and tool-call pieces as block events."""
        out = b""
        if chunk.content:
            if not self._open_is_text:
                out += self._start({"type": "text", "text": ""})
                self._open_is_text = True
            delta = {"type": "text_delta", "text": chunk.content}
            out += sse_event("content_block_delta", {"index": self._open, "delta": delta})
        for piece in chunk.tool_calls:
            out += self._tool_piece(piece)
        if chunk.finish_reason:
            self._finish_reason = chunk.finish_reason
        return out

    def closing(self) -> bytes:
        """The last block's stop, `message_delta` with the stop reason, `message_stop`."""
        delta = {
            "stop_reason": stop_reason(self._finish_reason, bool(self._calls)),
            "stop_sequence": None,
        }
        usage = {"output_tokens": 0}
        return (
            self._stop()
            + sse_event("message_delta", {"delta": delta, "usage": usage})
            + sse_event("message_stop", {})
        )

    @staticmethod
    def failure(message: str, code: str) -> bytes:
        """An `error` event (Anthropic's `api_error`, neoclone's code beside it)."""
        error = {"type": "api_error", "message": message, "code": code}
        return sse_event("error", {"error": error})

    def _tool_piece(self, piece: Mapping[str, Any]) -> bytes:
        out = b""
        index = piece.get("index", 0)
        function = piece.get("function") or {}
        if index not in self._calls:
            block = {
                "type": "tool_use",
                "id": piece.get("id") or f"toolu_{uuid.uuid4().hex}",
                "name": function.get("name", ""),
                "input": {},
            }
            out += self._start(block)
            self._open_is_text = False
            self._calls[index] = self._blocks - 1
        if arguments := function.get("arguments"):
            delta = {"type": "input_json_delta", "partial_json": arguments}
            out += sse_event("content_block_delta", {"index": self._calls[index], "delta": delta})
        return out

    def _start(self, block: Mapping[str, Any]) -> bytes:
        out = self._stop()
        self._open = self._blocks
        self._blocks += 1
        return out + sse_event("content_block_start", {"index": self._open, "content_block": block})

    def _stop(self) -> bytes:
        if self._open is None:
            return b""
        index, self._open = self._open, None
        self._open_is_text = False
        return sse_event("content_block_stop", {"index": index})
