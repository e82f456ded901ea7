"""Fixtures for the local provider's tests: both async backends, a provider context, one
model pool for the whole session (the real model loads once), and small GGUF files."""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from neoclone_provider_local import LocalProvider, ModelPool
from neoclone_provider_local._runtime import shared_pool

from neoclone_core import ProviderContext

WriteGGUF = Callable[[Path, Mapping[str, Any]], Path]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every async test runs on both backends anyio supports."""
    return str(request.param)


@pytest.fixture
def ctx() -> ProviderContext:
    # The local provider makes no HTTP calls, so it is handed no client.
    return ProviderContext(
        provider="local",
        base_url="",
        api_key=None,
        api_key_env=None,
        timeout=60.0,
        http=cast(httpx.AsyncClient, None),
        clock=lambda: 1_700_000_000.0,
    )


@pytest.fixture(scope="session")
def pool() -> ModelPool:
    """The process-wide pool, so the plugin's own provider shares the loaded model too."""
    return shared_pool()


@pytest.fixture
def provider(pool: ModelPool) -> LocalProvider:
    """The default model only, whatever $NEOCLONE_LOCAL_MODELS says on this machine."""
    return LocalProvider(extra_paths=[], pool=pool)


@pytest.fixture
def write_gguf() -> WriteGGUF:
    """Writes a header-only GGUF file with the given metadata (no tensors)."""

    def write(path: Path, metadata: Mapping[str, Any]) -> Path:
        parts = [b"GGUF", struct.pack("<IQQ", 3, 0, len(metadata))]
        for key, value in metadata.items():
            parts += [_string(key), _value(value)]
        path.write_bytes(b"".join(parts))
        return path

    return write


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def _value(value: object) -> bytes:
    if isinstance(value, bool):
        return struct.pack("<I?", 7, value)
    if isinstance(value, int):
        return struct.pack("<II", 4, value)
    if isinstance(value, float):
        return struct.pack("<Id", 12, value)
    if isinstance(value, str):
        return struct.pack("<I", 8) + _string(value)
    assert isinstance(value, list)
    if all(isinstance(item, str) for item in value):
        return struct.pack("<IIQ", 9, 8, len(value)) + b"".join(_string(v) for v in value)
    return struct.pack("<IIQ", 9, 4, len(value)) + b"".join(struct.pack("<I", v) for v in value)
