"""What a hostile client cannot do to a real gateway process: grow it with a huge request
head, or with a great many headers (431 and the connection closed, the server's memory
unchanged), while ordinary requests go on being served; and what uvicorn itself logs
of an exception never shows a key."""

from __future__ import annotations

import io
import logging
import select
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from neoclone_gateway._options import DEFAULT_MAX_HEAD_BYTES, DEFAULT_MAX_HEADERS
from neoclone_gateway._serve import redact_uvicorn_logs
from neoclone_gateway.testing import PLANTED_KEY, GatewayProcess, Upstream, gateway_process

from neoclone_core import Secret
from neoclone_core.testing import RecordingServer
from neoclone_core.testing.helpers import free_port

pytestmark = pytest.mark.slow
HELLO = [{"role": "user", "content": "hello"}]
MIB = 1024 * 1024
_CHUNK = 64 * 1024


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    with RecordingServer() as server:
        directory = tmp_path_factory.mktemp("limits")
        with gateway_process(directory, Upstream(server)) as running:
            yield running


def memory_kib(pid: int, field: str) -> int:
    """A field of /proc/<pid>/status in KiB: VmRSS now, VmHWM the peak so far."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


HUGE_HEADER = (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ", b"\r\n\r\n")
HUGE_PATH = (b"GET /v1/models/", b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")


def send_huge(url: str, around: tuple[bytes, bytes], size: int) -> tuple[bytes, int]:
    """Send a request with `size` bytes of padding between the two parts of `around`, in
    chunks, stopping once the server answers or closes; what it answered, and how many
    bytes of padding were sent."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(around[0])
        try:
            while sent < size and not select.select([sock], [], [], 0)[0]:
                sock.sendall(b"a" * _CHUNK)
                sent += _CHUNK
            if sent >= size:
                sock.sendall(around[1])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed the connection: its answer is still to read
        answer = b""
        try:
            while piece := sock.recv(65536):
                answer += piece
        except ConnectionResetError:
            pass
    return answer, sent


def test_huge_headers_get_431_and_do_not_grow_the_server(gateway: GatewayProcess) -> None:
    rss_before = memory_kib(gateway.pid, "VmRSS")
    peak_before = memory_kib(gateway.pid, "VmHWM")
    answers = [send_huge(gateway.url, HUGE_HEADER, 64 * MIB) for _ in range(3)]
    peak_growth_mib = (memory_kib(gateway.pid, "VmHWM") - peak_before) / 1024
    rss_growth_mib = (memory_kib(gateway.pid, "VmRSS") - rss_before) / 1024
    for answer, sent in answers:
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
        assert b'"code":"headers_too_large"' in answer
        assert sent < 64 * MIB  # refused while it was still sending
    # Each client sent megabytes before the refusal reached it; the server held at most
    # the limit and one read of each.
    assert peak_growth_mib < 8, f"peak RSS grew {peak_growth_mib:.1f} MiB"
    assert rss_growth_mib < 8, f"RSS grew {rss_growth_mib:.1f} MiB"
    assert httpx.get(f"{gateway.url}/health").status_code == 200


def test_too_many_headers_get_431_and_the_next_request_is_served(
    gateway: GatewayProcess,
) -> None:
    many = {f"x-header-{i}": "v" for i in range(DEFAULT_MAX_HEADERS + 1)}
    refused = httpx.get(f"{gateway.url}/health", headers=many)
    assert refused.status_code == 431
    assert refused.json()["error"]["code"] == "headers_too_large"
    assert refused.headers["connection"] == "close"
    assert refused.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(f"{gateway.url}/health").status_code == 200
    body = {"model": "claude-sonnet-4-5", "max_tokens": 16, "messages": HELLO}
    anthropic = httpx.post(f"{gateway.url}/v1/messages", json=body, headers=many)
    assert anthropic.status_code == 431
    assert anthropic.json()["type"] == "error"  # Anthropic's shape on its endpoint
    assert anthropic.json()["error"]["code"] == "headers_too_large"


def test_a_long_request_line_gets_431(gateway: GatewayProcess) -> None:
    answer, _ = send_huge(gateway.url, HUGE_PATH, 2 * DEFAULT_MAX_HEAD_BYTES)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]


def test_requests_within_the_limits_are_served_whole(gateway: GatewayProcess) -> None:
    headers = {f"x-header-{i}": "v" * 500 for i in range(DEFAULT_MAX_HEADERS - 10)}
    assert httpx.get(f"{gateway.url}/health", headers=headers).status_code == 200
    # A body bigger than the head limit, sent with its head in one write, is no head.
    body = {"model": "openrouter/vendor/alpha:free", "messages": HELLO, "user": "u" * MIB}
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        for _ in range(3):  # on one connection: the limit counts each request afresh
            served = client.post("/v1/chat/completions", json=body)
            assert served.status_code == 200, served.text
            assert served.json()["choices"][0]["message"]["content"] == "answer from alpha"


# -- uvicorn's own log ------------------------------------------------------------------------


async def _failing_app(scope: dict[str, object], receive: object, send: object) -> None:
    if scope["type"] == "http":
        msg = f"upstream said: Authorization: {PLANTED_KEY.upper()}"
        raise RuntimeError(msg)


def test_a_traceback_uvicorn_logs_never_shows_a_key() -> None:
    """The gateway's app re-raises what it did not expect (after answering 500), and
    uvicorn logs it with its traceback, through the filter `neoclone serve` installs."""
    import uvicorn

    logged = io.StringIO()
    handler = logging.StreamHandler(logged)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    config = uvicorn.Config(_failing_app, port=free_port(), lifespan="off", log_config=None)
    server = uvicorn.Server(config)
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    filters = redact_uvicorn_logs([Secret(PLANTED_KEY)])
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            threading.Event().wait(0.05)
        response = httpx.get(f"http://127.0.0.1:{config.port}/", timeout=10)
    finally:
        server.should_exit = True
        thread.join(10)
        logger.removeHandler(handler)
        for name, added in filters:
            logging.getLogger(name).removeFilter(added)
    assert response.status_code == 500
    text = logged.getvalue()
    assert "Exception in ASGI application" in text
    assert "RuntimeError: upstream said: Authorization: [REDACTED]" in text
    assert PLANTED_KEY.upper() not in text
    assert PLANTED_KEY not in text


def test_the_oversized_requests_logged_nothing_of_their_headers(gateway: GatewayProcess) -> None:
    assert "aaaaaaaa" not in gateway.logs
