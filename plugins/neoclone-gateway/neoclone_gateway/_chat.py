"""OpenAI's chat completions (`POST /v1/chat/completions`), the gateway's own shape: the
body is read as it is (`_body`), the answer is a `chat.completion` object, and a stream
is OpenAI's chunks:

- a first chunk with the assistant's role;
- each upstream chunk's text and tool-call pieces, as they arrive;
- a chunk with the finish reason (`stop` when the model gave none), then `[DONE]`;
- a failure after the first token: an error event, which the `openai` library raises
  as `APIError`.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import attrs

from neoclone_core import ChatChunk, ChatResponse
from neoclone_gateway._body import ChatBody, parse_chat_body
from neoclone_gateway._shapes import ChunkWriter, completion


def completion_id() -> str:
    """A new completion id, in OpenAI's style."""
    return f"chatcmpl-{uuid.uuid4().hex}"


@attrs.frozen
class ChatTranslation:
    """A chat-completion request read: it runs as it is."""

    body: ChatBody

    def answer(self, response: ChatResponse) -> bytes:
        """A `chat.completion` object; `model` is the catalog id of the model that served."""
        return completion(response, completion_id(), int(time.time()))

    def events(self, model: str) -> ChatEvents:
        """The stream's `chat.completion.chunk` events."""
        return ChatEvents(ChunkWriter(completion_id(), int(time.time()), model))


def parse_chat(raw: bytes) -> ChatTranslation:
    """The body of `POST /v1/chat/completions` (see `parse_chat_body`)."""
    return ChatTranslation(parse_chat_body(raw))


class ChatEvents:
    """The chunks of one streamed completion (see the module doc)."""

    def __init__(self, writer: ChunkWriter) -> None:
        self._writer = writer
        self._finished = False

    def opening(self) -> bytes:
        """The chunk with the assistant's role."""
        return self._writer.chunk({"role": "assistant", "content": ""})

    def chunk(self, chunk: ChatChunk) -> bytes:
        """Its text and tool-call pieces as a delta, then its finish reason if it has one."""
        out = b""
        if delta := _delta(chunk):
            out += self._writer.chunk(delta)
        if chunk.finish_reason and not self._finished:
            out += self._writer.chunk({}, chunk.finish_reason)
            self._finished = True
        return out

    def closing(self) -> bytes:
        """The finish chunk if the model sent none, then `[DONE]`."""
        finish = b"" if self._finished else self._writer.chunk({}, "stop")
        return finish + ChunkWriter.DONE

    def failure(self, message: str, code: str) -> bytes:
        """An error event."""
        return self._writer.error(message, code)


def _delta(chunk: ChatChunk) -> dict[str, Any]:
    """The chunk's text and tool-call pieces as an OpenAI delta ({} for neither)."""
    delta: dict[str, Any] = {}
    if chunk.content:
        delta["content"] = chunk.content
    if chunk.tool_calls:
        delta["tool_calls"] = [dict(call) for call in chunk.tool_calls]
    return delta
