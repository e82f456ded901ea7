"""Fixtures for the gateway's tests: both anyio backends, the recording server on
127.0.0.1, an HTTP client like the core's, and the captured log events (the core's
tests/ package is not imported); and for the modules that drive a real `neoclone serve`
with the official clients, one upstream and one gateway per module (its session `pair`:
sigma, then qwen-coder) and an `openai` client of it. A module that needs another
upstream or gateway defines its own, which pytest uses instead."""

from collections.abc import Iterator

import openai
import pytest
from neoclone_gateway.testing import GatewayProcess, Upstream, gateway_process, model_id

from neoclone_core.pytest_plugin import anyio_backend, captured, http, server
from neoclone_core.testing import RecordingServer

__all__ = ["anyio_backend", "captured", "client", "gateway", "http", "server", "upstream"]


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    with RecordingServer() as recording:
        yield Upstream(recording)


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, upstream: Upstream
) -> Iterator[GatewayProcess]:
    pair = f"pair={model_id('sigma')},{model_id('qwen-coder')}"
    with gateway_process(
        tmp_path_factory.mktemp("gateway"), upstream, "--session", pair
    ) as running:
        yield running


@pytest.fixture
def client(gateway: GatewayProcess) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="unused", max_retries=0) as made:
        yield made
