"""Reading an OpenAI-compatible stream: server-sent events to chunks, and which error a
broken stream raises (see `compat`'s module docstring for what callers rely on).

Providers that deviate from OpenAI's stream in known ways say so with `StreamQuirks`,
which their plugin passes to `stream_chat_completion`: the shared reader stays OpenAI's,
and each deviation is named where it is needed.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Mapping
from typing import Any

import attrs
import httpx

from neoclone_core.errors import ProviderError, StreamInterruptedError
from neoclone_core.models import ChatChunk, ModelInfo, content_text
from neoclone_core.openai.error_body import upstream_message
from neoclone_core.openai.http_errors import embedded_error, snippet, transport_error
from neoclone_core.provider import ProviderContext
from neoclone_core.redaction import redact


@attrs.frozen
class StreamQuirks:
    """How a provider's stream differs from OpenAI's.

    - `unindexed_tool_calls`: tool-call pieces come without `index` (Gemini's
      OpenAI-compatible endpoint), so they are numbered here, and a stream of tool calls
      that ends with finish reason "stop" is reported as ending with "tool_calls".
    """

    unindexed_tool_calls: bool = False


NO_QUIRKS = StreamQuirks()


def first_choice(document: object) -> Mapping[str, Any] | None:
    """The first choice of a completion or stream event, if it has one."""
    choices = document.get("choices") if isinstance(document, Mapping) else None
    if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
        return choices[0]
    return None


def optional_str(value: object) -> str | None:
    """`value` if it is a string, else None."""
    return value if isinstance(value, str) else None


async def sse_data(response: httpx.Response) -> AsyncGenerator[str, None]:
    """The data of each server-sent event; comments (`: OPENROUTER PROCESSING`) and the
    `event:`/`id:`/`retry:` fields are skipped.

    Lines are split on CR, LF and CRLF only, as the SSE spec says: httpx's `aiter_lines`
    also splits on U+2028 and friends, which JSON strings may carry unescaped.
    """
    buffer, data = "", []
    async for text in response.aiter_text():
        buffer += text
        *lines, buffer = re.split(r"\r\n|\r(?!$)|\n", buffer)
        for line in lines:
            if line:
                field, _, value = line.partition(":")
                if field == "data":
                    data.append(value.removeprefix(" "))
            elif data:
                yield "\n".join(data)
                data = []
    if buffer.startswith("data:"):  # a last event without its blank line
        data.append(buffer[5:].rstrip("\r").removeprefix(" "))
    if data:
        yield "\n".join(data)


@attrs.define
class StreamReader:
    """Turns event data into chunks, remembering whether any chunk was delivered
    (which decides the error class of a later failure) and whether the stream ended."""

    ctx: ProviderContext
    model: ModelInfo
    quirks: StreamQuirks = NO_QUIRKS
    delivered: bool = False
    finished: bool = False
    done: bool = False
    calls: int = 0  # tool calls begun so far

    def read(self, data: str) -> ChatChunk | None:
        if data.strip() == "[DONE]":
            self.done = True
            return None
        event = self._decode(data)
        if event.get("error"):  # some providers send "error": null in every chunk
            raise self._error_event(event)
        choice = first_choice(event)
        if choice is None:  # usage-only or keep-alive events
            return None
        delta = choice.get("delta")
        delta = delta if isinstance(delta, Mapping) else {}
        content = content_text(delta.get("content"))
        tool_calls = self._tool_call_deltas(delta.get("tool_calls"))
        finish_reason = optional_str(choice.get("finish_reason"))
        if finish_reason == "stop" and self.calls and self.quirks.unindexed_tool_calls:
            finish_reason = "tool_calls"  # such providers end a tool call with "stop"
        if finish_reason == "error":
            why = "the provider ended the stream with finish_reason 'error'"
            raise self.interrupted(why)
        self.finished = self.finished or finish_reason is not None
        if not content and not tool_calls and finish_reason is None:
            return None
        self.delivered = True
        return ChatChunk(content, finish_reason, tool_calls)

    def _tool_call_deltas(self, value: object) -> tuple[dict[str, Any], ...]:
        """The tool-call pieces of a delta, each with its `index`. With the
        `unindexed_tool_calls` quirk, a piece without one that names a call (an `id` or a
        function `name`) begins the next call, and any other piece continues the last."""
        if not isinstance(value, list):
            return ()
        pieces = []
        for piece in value:
            if not isinstance(piece, Mapping):
                continue
            if isinstance(piece.get("index"), int) or not self.quirks.unindexed_tool_calls:
                self.calls = max(self.calls, piece["index"] + 1)
                pieces.append(dict(piece))
                continue
            function = piece.get("function")
            named = piece.get("id") or (isinstance(function, Mapping) and function.get("name"))
            if named or not self.calls:
                self.calls += 1
            pieces.append({"index": self.calls - 1, **piece})
        return tuple(pieces)

    def _decode(self, data: str) -> Mapping[str, Any]:
        try:
            event = json.loads(data)
        except ValueError as exc:
            raise self._unreadable(data) from exc
        if not isinstance(event, Mapping):
            raise self._unreadable(data)
        return event

    def _unreadable(self, data: str) -> StreamInterruptedError:
        return self.interrupted(f"unreadable event ({snippet(self.ctx, data, 80)})")

    def _error_event(self, event: Mapping[str, Any]) -> ProviderError:
        mapped = embedded_error(self.ctx, self.model.name, event, {})
        if mapped is not None and not self.delivered:
            return mapped
        return self.interrupted(f"error event: {snippet(self.ctx, upstream_message(event, b''))}")

    def interrupted(self, why: str) -> StreamInterruptedError:
        message = redact(f"{self.ctx.provider}: stream interrupted: {why}", [self.ctx.api_key])
        return StreamInterruptedError(message, provider=self.ctx.provider, model=self.model.name)

    def transport_error(self, exc: httpx.RequestError) -> ProviderError:
        if self.delivered:
            return self.interrupted(f"connection lost ({type(exc).__name__})")
        return transport_error(self.ctx, self.model.name, exc)

    def check_complete(self) -> None:
        if not (self.done or self.finished):
            why = "the stream ended before [DONE] or a finish reason"
            raise self.interrupted(why)
