"""A bound on each request's head (its request line and headers): 431 past it.

uvicorn's httptools parser has no limit of its own: a header value is gathered in
memory, however long, before the application sees any of it, so three requests with
100 MB headers grew a gateway by 365 MB. (uvicorn's h11 parser has a limit, but
answers 400, and is the slower parser.) `bounded_protocol` is uvicorn's httptools
protocol counting the bytes of each head as they arrive:

- the request line and every complete header, exactly, as the parser hands them over,
  with the number of headers;
- and every chunk read while a head is still incomplete (a header too long to complete
  is held inside the parser, where no callback sees it).

Once a head passes the limit, or has more headers than allowed, the gateway answers 431
and closes the connection: what it holds of a head is at most the limit and one read
(256 KiB). Counting costs an addition per chunk and per header, and nothing on bodies.
A refusal made inside a callback stops the parser with an error, which uvicorn logs
("Invalid HTTP request received.", a warning) before asking for its 400: the answer is
431 instead.
"""

from __future__ import annotations

from typing import Any

from neoclone_gateway._errors import GatewayError, error_body
from neoclone_gateway._guard import RESPONSE_HEADERS

_HEADER_OVERHEAD = 4  # ": " and CRLF, which the parser does not hand over
_STATUS_LINE = b"HTTP/1.1 431 Request Header Fields Too Large\r\n"


class HeadTooLargeError(Exception):
    """Raised inside the parser's callback, to stop it at once."""


def bounded_protocol(max_bytes: int, max_headers: int) -> type[Any]:
    """uvicorn's httptools protocol class with heads bounded to `max_bytes` and
    `max_headers` (uvicorn is imported here, when the gateway runs)."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    too_large = f"the request's line and headers are larger than {max_bytes:,} bytes"

    class BoundedHttpToolsProtocol(HttpToolsProtocol):
        """See the module doc."""

        refusal = ""  # why the current head is refused ("" while it is not)
        reading_head = False
        head_parsed = 0  # the request line and complete headers, exactly
        head_read = 0  # whole chunks read while this head was incomplete
        head_began = False  # whether the chunk being parsed began a request

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self.reading_head, self.head_began = True, True
            self.head_parsed = self.head_read = 0

        def on_url(self, url: bytes) -> None:
            self._parsed(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            if len(self.headers) >= max_headers:
                self._refuse(f"the request has more than {max_headers} headers")
            self._parsed(len(name) + len(value) + _HEADER_OVERHEAD)
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self.reading_head = False
            super().on_headers_complete()

        def data_received(self, data: bytes) -> None:
            incomplete_before, self.head_began = self.reading_head, False
            super().data_received(data)  # the callbacks above run in here
            if self.refusal or not (incomplete_before and self.reading_head):
                return
            if not self.head_began:  # the whole chunk is part of this head
                self.head_read += len(data)
                if self.head_read > max_bytes:
                    self.refusal = too_large
                    self._send_431()

        def send_400_response(self, msg: str) -> None:
            """uvicorn's answer to a parser error, which a refused head raises."""
            if self.refusal:
                self._send_431()
            else:
                super().send_400_response(msg)

        def _parsed(self, size: int) -> None:
            self.head_parsed += size
            if self.head_parsed > max_bytes:
                self._refuse(too_large)

        def _refuse(self, why: str) -> None:
            self.refusal = why
            raise HeadTooLargeError(why)

        def _send_431(self) -> None:
            error = GatewayError(431, self.refusal, code="headers_too_large")
            path = self.url.partition(b"?")[0].decode("latin-1")  # as far as it came
            body = error_body(error, path)  # OpenAI's shape, or Anthropic's
            headers = [*error.asgi_headers(), *RESPONSE_HEADERS]
            headers += [(b"content-length", b"%d" % len(body)), (b"connection", b"close")]
            head = b"".join(b"%s: %s\r\n" % pair for pair in headers)
            self.transport.write(_STATUS_LINE + head + b"\r\n" + body)
            self.transport.close()

    return BoundedHttpToolsProtocol
