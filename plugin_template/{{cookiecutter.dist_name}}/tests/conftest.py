"""The fixtures neoclone gives provider plugin tests: both anyio backends, a recording
server on 127.0.0.1, an HTTP client like the one neoclone shares with providers, and the
log events captured during a test."""

from neoclone_core.pytest_plugin import anyio_backend, captured, http, server

__all__ = ["anyio_backend", "captured", "http", "server"]
