"""Fixtures for the Codestral provider's tests, shared by every provider plugin:
both anyio backends, the recording server on 127.0.0.1, an HTTP client like the core's,
and the captured log events (the core's tests/ package is not imported)."""

from neoclone_core.pytest_plugin import anyio_backend, captured, http, server

__all__ = ["anyio_backend", "captured", "http", "server"]
