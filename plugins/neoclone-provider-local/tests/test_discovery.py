"""Discovery: which local models are listed, and what is said about each."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
import structlog.testing
from neoclone_provider_local import MODELS_ENV, LocalProvider, ModelPool
from neoclone_provider_local._files import default_model_path
from neoclone_provider_local._gguf import read_metadata

from neoclone_core import Capability, ChatRequest, ModelInfo, ProviderContext
from neoclone_core.errors import ConfigError, ModelNotFoundError, ProviderUnavailableError

pytestmark = pytest.mark.anyio

WriteGGUF = Callable[[Path, Mapping[str, Any]], Path]
DEFAULT_ID = "local/smollm2-135m-instruct"


async def test_the_default_model_is_listed_with_its_gguf_metadata(
    provider: LocalProvider, ctx: ProviderContext
) -> None:
    [model] = await provider.discover(ctx)
    path = default_model_path()
    assert path is not None
    assert model.id == DEFAULT_ID
    assert model.display_name == "SmolLM2-135M-Instruct.Q4_1"
    assert model.context_length == read_metadata(path)["llama.context_length"] == 8192
    assert model.capabilities == {Capability.TEXT, Capability.STREAMING}
    assert model.free and model.pricing.is_zero
    assert model.discovered_at == ctx.clock()


async def test_discovery_loads_no_model(ctx: ProviderContext) -> None:
    pool = ModelPool(loader=_refuse_to_load)
    models = await LocalProvider(extra_paths=[], pool=pool).discover(ctx)
    assert [m.id for m in models] == [DEFAULT_ID]


async def test_user_models_come_from_the_environment(
    ctx: ProviderContext,
    tmp_path: Path,
    write_gguf: WriteGGUF,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    write_gguf(folder / "tiny-coder.Q8_0.gguf", {"general.name": "Tiny Coder"})
    single = write_gguf(tmp_path / "Other.gguf", {"general.architecture": "llama"})
    monkeypatch.setenv(MODELS_ENV, os.pathsep.join([str(folder), "", str(single)]))
    models = await LocalProvider(pool=ModelPool(loader=_refuse_to_load)).discover(ctx)
    assert [m.id for m in models] == [DEFAULT_ID, "local/tiny-coder", "local/other"]
    assert Capability.CODE in models[1].capabilities


async def test_user_models_come_from_the_config_files_provider_options(
    ctx: ProviderContext, tmp_path: Path, write_gguf: WriteGGUF
) -> None:
    path = write_gguf(tmp_path / "from-config.gguf", {"general.architecture": "llama"})
    configured = attrs.evolve(ctx, options={"models": [str(path)]})
    provider = LocalProvider(extra_paths=[], pool=ModelPool(loader=_refuse_to_load))
    models = await provider.discover(configured)
    assert [m.id for m in models] == [DEFAULT_ID, "local/from-config"]


async def test_a_models_option_that_is_not_a_list_of_paths_is_a_config_error(
    provider: LocalProvider, ctx: ProviderContext
) -> None:
    with pytest.raises(ConfigError, match=r"\[providers.local.options\] models must be a list"):
        await provider.discover(attrs.evolve(ctx, options={"models": 3}))


async def test_a_missing_user_model_is_skipped_with_a_warning_naming_it(
    provider: LocalProvider, ctx: ProviderContext, tmp_path: Path
) -> None:
    missing = tmp_path / "gone.gguf"
    provider.extra_paths = [missing]
    with structlog.testing.capture_logs() as events:
        models = await provider.discover(ctx)
    assert [m.id for m in models] == [DEFAULT_ID]  # the default model is still served
    [event] = [e for e in events if e["event"] == "neoclone.local.model_skipped"]
    assert event == {
        "event": "neoclone.local.model_skipped",
        "log_level": "warning",
        "path": str(missing),
        "reason": "file not found",
    }


async def test_a_model_whose_file_disappeared_is_not_found(
    ctx: ProviderContext, tmp_path: Path, write_gguf: WriteGGUF
) -> None:
    path = write_gguf(tmp_path / "brief.gguf", {"general.architecture": "llama"})
    provider = LocalProvider(extra_paths=[path], include_default=False, pool=ModelPool())
    [model] = await provider.discover(ctx)
    path.unlink()
    with pytest.raises(ModelNotFoundError, match=f"model file not found: {path}"):
        await provider.chat(ctx, model, ChatRequest.from_prompt("hi", max_tokens=2))


async def test_an_unknown_local_model_names_the_variable_to_set(
    provider: LocalProvider, ctx: ProviderContext
) -> None:
    ghost = ModelInfo("local", "ghost-7b", free=True)
    with pytest.raises(
        ModelNotFoundError, match=rf"local/ghost-7b: no such local model.*\${MODELS_ENV}"
    ):
        await provider.chat(ctx, ghost, ChatRequest.from_prompt("hi"))


async def test_without_llama_cpp_discovery_says_how_to_install_it(
    provider: LocalProvider, ctx: ProviderContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail
    with pytest.raises(ProviderUnavailableError) as caught:
        await provider.discover(ctx)
    assert "llama-cpp-python is not usable" in str(caught.value)
    assert "CMAKE_ARGS='-DGGML_NATIVE=OFF" in str(caught.value)
    assert "pip install llama-cpp-python" in str(caught.value)


def test_importing_the_plugin_loads_no_native_code() -> None:
    code = "import sys, neoclone_provider_local; print('llama_cpp' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def _refuse_to_load(path: Path, n_ctx: int) -> Any:
    raise AssertionError(f"discovery must not load {path}")
