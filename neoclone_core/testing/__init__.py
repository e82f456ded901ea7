"""Testing neoclone and its plugins against real HTTP on 127.0.0.1: a server that replays
recorded responses and injects faults (`server`, `replies`), helpers for provider tests
(`helpers`), and the contract every OpenAI-compatible provider passes (`contract`).

Usage::

    from neoclone_core.testing import RecordingServer, Reply

    def test_falls_back_after_a_rate_limit():
        with RecordingServer() as server:
            server.route("POST", "/v1/chat/completions", Reply(status=429), Reply.sse([...]))
            ...  # run the code under test against base_url=server.url
        assert server.hits("POST", "/v1/chat/completions") == 2
"""

from neoclone_core.testing.helpers import (
    ProvidersPlugin,
    collect_text,
    completion_chunk,
    local_http_client,
    neoclone_with,
    provider_context,
)
from neoclone_core.testing.replies import RecordedRequest, Reply, ReplyFactory
from neoclone_core.testing.server import RecordingServer

__all__ = [
    "ProvidersPlugin",
    "RecordedRequest",
    "RecordingServer",
    "Reply",
    "ReplyFactory",
    "collect_text",
    "completion_chunk",
    "local_http_client",
    "neoclone_with",
    "provider_context",
]
