"""What a `RecordingServer` answers (`Reply`, scripted per route) and what it recorded of
each request (`RecordedRequest`), and how a reply's body goes on the wire."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeAlias

import attrs
import httpx

SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}


def _optional_tuple(events: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if events is None else tuple(events)


@attrs.frozen
class Reply:
    """One scripted response: a body, or a server-sent-events stream when `events` is set.

    A `bytes` body is sent as it is, a `str` body as UTF-8 `text/plain`, any other value as
    JSON; `headers` override the default content type. Each item of `events` is the data
    of one SSE event (`"data: {item}"`), flushed on its own; include `"[DONE]"` yourself
    or use `Reply.sse`. For raw SSE text (comments, `event:` lines) send it as `body` with
    a `text/event-stream` content type instead.

    Faults: `delay_s` waits before the status line; `event_delay_s` waits between events;
    `cut_after_events` closes the connection after that many events; `stall_after_events`
    sends nothing more after that many events until the server stops;
    `close_without_response` closes the connection without sending a byte.
    """

    status: int = 200
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: object = b""
    delay_s: float = 0.0
    events: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_tuple)
    event_delay_s: float = 0.0
    cut_after_events: int | None = None
    stall_after_events: int | None = None
    close_without_response: bool = False

    def __attrs_post_init__(self) -> None:
        if self.cut_after_events is not None and self.stall_after_events is not None:
            msg = "a stream is either cut or stalled, not both"
            raise ValueError(msg)

    @classmethod
    def json_file(
        cls, path: Path | str, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> Reply:
        """Serve a recorded JSON file byte for byte, as `application/json`."""
        headers = merged_headers({"Content-Type": "application/json"}, headers or {})
        return cls(status=status, headers=headers, body=Path(path).read_bytes())

    @classmethod
    def sse(cls, chunks: Iterable[Mapping[str, Any] | str], **fields: Any) -> Reply:
        """Stream `chunks` (mappings as JSON, strings as they are), then `[DONE]`.

        `fields` are any other `Reply` fields, such as `cut_after_events`.
        """
        events = [chunk if isinstance(chunk, str) else json.dumps(chunk) for chunk in chunks]
        return cls(events=[*events, "[DONE]"], **fields)


@attrs.frozen
class RecordedRequest:
    """A request as the server received it.

    `path` is as sent (not percent-decoded) and without the query string, which is in
    `query` (without the "?"). `headers` look names up case-insensitively.
    """

    method: str
    path: str
    query: str
    headers: httpx.Headers
    body: bytes

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


ReplyFactory: TypeAlias = Callable[[RecordedRequest], Reply]
"""Computes the reply from the request; if it raises, the client gets a 500."""


def encode_body(body: object) -> tuple[bytes, str | None]:
    """A reply body as bytes, and the content type it implies (None for raw bytes)."""
    if isinstance(body, bytes):
        return body, None
    if isinstance(body, str):
        return body.encode(), "text/plain; charset=utf-8"
    return json.dumps(body).encode(), "application/json"


def sse_frame(data: str) -> bytes:
    """One SSE event; data with line breaks becomes several `data:` lines, as the spec says."""
    return "".join(f"data: {line}\n" for line in data.split("\n")).encode() + b"\n"


def merged_headers(defaults: Mapping[str, str], given: Mapping[str, str]) -> dict[str, str]:
    """`defaults` overridden by `given`, comparing header names case-insensitively."""
    given_names = {name.lower() for name in given}
    kept = {name: value for name, value in defaults.items() if name.lower() not in given_names}
    return {**kept, **given}
