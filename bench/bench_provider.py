"""The provider neoclone reaches the fake upstream through, as a plugin.

An OpenAI-compatible provider named `bench`, built on `OpenAICompatibleProvider` as a
real provider plugin is: its key in `$BENCH_API_KEY`, its base URL from the
`[providers.bench]` settings. The in-process contender registers it directly; for
`neoclone serve`, `compare.py` makes it an installed plugin for the gateway's process
only (a `.dist-info` with an entry point, on that process's `PYTHONPATH`).
"""

from __future__ import annotations

from collections.abc import Callable

from neoclone_core import ModelInfo, Provider, hookimpl
from neoclone_core.provider_kit import OpenAICompatibleProvider, identify

NAME = "bench"
KEY_ENV = "BENCH_API_KEY"


class BenchProvider(OpenAICompatibleProvider):
    """Every model the upstream lists, free, with a context of 32k."""

    name = NAME
    default_base_url = "http://127.0.0.1:9/v1"  # always set from the settings
    api_key_env: str | None = KEY_ENV

    def model_from_entry(self, entry: object) -> ModelInfo | None:
        _, model_id = identify(entry)
        return ModelInfo(self.name, model_id, free=True, context_length=32_768)


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the bench provider."""
    register(BenchProvider())
