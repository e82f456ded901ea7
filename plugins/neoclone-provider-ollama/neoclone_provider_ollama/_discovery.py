"""What an Ollama server holds: `GET /api/tags` names the models, `POST /api/show` says
what each can do.

The tag list alone says nothing of context or capabilities, so every model is shown
too, a few at a time. A model's trained context is `model_info["<arch>.context_length"]`
(`<arch>` being `model_info["general.architecture"]`), and its capabilities are Ollama's
own list: `completion`, `tools`, `vision`, `thinking`, or `embedding` for models that
cannot chat. Everything that runs locally is free; models that Ollama forwards to its
cloud (`remote_host` set) are not local, so not free.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import anyio
import structlog

from neoclone_core import Capability, ModelInfo, Pricing, ProviderContext
from neoclone_core.errors import ModelNotFoundError, ProviderError
from neoclone_core.provider_kit import (
    UnreadableEntryError,
    as_mapping,
    is_code_model,
    log_left_out,
    model_list,
    positive_int,
    read_entries,
    stripped_str,
)
from neoclone_provider_ollama._http import get_json, post_json

PROVIDER = "ollama"
SHOW_CONCURRENCY = 4  # /api/show reads model files from disk; a few at a time is plenty
log = structlog.get_logger("neoclone")

_CAPABILITIES = {
    "completion": Capability.TEXT,
    "tools": Capability.TOOLS,
    "vision": Capability.VISION,
    "thinking": Capability.REASONING,
}
_NUM_CTX = re.compile(r"\bnum_ctx\s+(\d+)")


async def discover_models(ctx: ProviderContext) -> list[ModelInfo]:
    """The chat models of the server at `ctx.base_url`, in the tag list's order."""
    tags = tag_entries(ctx, await get_json(ctx, "/api/tags"))
    shows, gone = await _show_all(ctx, [name for name, _ in tags])
    models = []
    for name, entry in tags:
        if name not in gone and (model := model_from(name, entry, shows.get(name))) is not None:
            models.append(model)
    return models


def tag_entries(ctx: ProviderContext, document: object) -> list[tuple[str, Mapping[str, Any]]]:
    """`(name, entry)` for each model of a `/api/tags` answer; unnamed entries are skipped.

    An answer without a `models` list (something else listening on the port) raises
    MalformedResponseError.
    """
    listed = model_list(document, ctx.provider, key="models", what="tag list")
    return read_entries(listed, PROVIDER, _named, name_key=None)


def _named(entry: object) -> tuple[str, Mapping[str, Any]]:
    fields = as_mapping(entry)
    name = stripped_str(fields.get("name")) or stripped_str(fields.get("model"))
    if not name:
        msg = "no name"
        raise UnreadableEntryError(msg)
    return name, fields


async def _show_all(
    ctx: ProviderContext, names: Sequence[str]
) -> tuple[dict[str, Mapping[str, Any]], set[str]]:
    """Each model's `/api/show` answer, and the names the server no longer knows."""
    shows: dict[str, Mapping[str, Any]] = {}
    gone: set[str] = set()
    limiter = anyio.CapacityLimiter(SHOW_CONCURRENCY)

    async def show(name: str) -> None:
        async with limiter:
            try:
                shows[name] = await _show(ctx, name)
            except ModelNotFoundError:  # removed between the two calls
                gone.add(name)

    async with anyio.create_task_group() as group:
        for name in names:
            group.start_soon(show, name)
    return shows, gone


async def _show(ctx: ProviderContext, name: str) -> Mapping[str, Any]:
    """The model's details, or {} when they cannot be had: the model is then listed from
    its tag, since one unreadable model must not hide the others. ModelNotFoundError
    passes through (the model is gone)."""
    try:
        document = await post_json(ctx, "/api/show", {"model": name}, name)
    except ModelNotFoundError:
        raise
    except ProviderError as exc:
        log.warning("neoclone.model_show_failed", provider=PROVIDER, entry=name, error=str(exc))
        return {}
    if not isinstance(document, Mapping):
        log.warning(
            "neoclone.model_show_failed", provider=PROVIDER, entry=name, error="not an object"
        )
        return {}
    return document


def model_from(
    name: str, entry: Mapping[str, Any], show: Mapping[str, Any] | None
) -> ModelInfo | None:
    """A tag entry and its `/api/show` answer as a ModelInfo; None for a model that
    cannot chat (an embedding model)."""
    info = show or {}
    capabilities = _capabilities(name, entry, info)
    if capabilities is None:
        log_left_out(PROVIDER, name, "cannot chat")
        return None
    remote = _is_remote(entry, info)
    return ModelInfo(
        provider=PROVIDER,
        name=name,
        display_name=_display_name(name, entry, info),
        context_length=_context_length(entry, info),
        capabilities=capabilities,
        pricing=Pricing() if remote else Pricing(0.0, 0.0),
        free=not remote,
    )


def _capabilities(
    name: str, entry: Mapping[str, Any], info: Mapping[str, Any]
) -> set[Capability] | None:
    """Ollama's list mapped (text and streaming for every chat model); servers older than
    the list (it came with Ollama 0.6.4) get text and streaming. Recent servers put the
    same list in the tag entry too, used when `/api/show` failed. Code models are told
    by name or family."""
    listed = info.get("capabilities", entry.get("capabilities"))
    found = {Capability.TEXT, Capability.STREAMING}
    if isinstance(listed, list):
        names = {c for c in listed if isinstance(c, str)}
        if "completion" not in names:
            return None
        found.update(_CAPABILITIES[c] for c in names if c in _CAPABILITIES)
    family = stripped_str(_details(entry, info).get("family"))
    if is_code_model(name, family):
        found.add(Capability.CODE)
    return found


def _context_length(entry: Mapping[str, Any], info: Mapping[str, Any]) -> int | None:
    """The trained context, lowered to `num_ctx` when the model's parameters set one
    (Ollama then runs it with that window). Without `model_info` (`/api/show` failed),
    the `details.context_length` that recent servers add to tag entries."""
    model_info = as_mapping(info.get("model_info"))
    arch = model_info.get("general.architecture")
    key = f"{arch}.context_length" if isinstance(arch, str) else None
    trained = positive_int(model_info.get(key)) if key else None
    trained = trained or positive_int(_details(entry, info).get("context_length"))
    parameters = info.get("parameters")
    match = _NUM_CTX.search(parameters) if isinstance(parameters, str) else None
    configured = int(match.group(1)) if match else None
    known = [n for n in (trained, configured) if n]
    return min(known) if known else None


def _display_name(name: str, entry: Mapping[str, Any], info: Mapping[str, Any]) -> str:
    details = _details(entry, info)
    extras = [stripped_str(details.get(k)) for k in ("parameter_size", "quantization_level")]
    extras = [e for e in extras if e]
    return f"{name} ({', '.join(extras)})" if extras else name


def _is_remote(entry: Mapping[str, Any], info: Mapping[str, Any]) -> bool:
    """Whether Ollama forwards the model to a remote host (its cloud models)."""
    return any(
        stripped_str(d.get(k)) for d in (entry, info) for k in ("remote_host", "remote_model")
    )


def _details(entry: Mapping[str, Any], info: Mapping[str, Any]) -> Mapping[str, Any]:
    return as_mapping(info.get("details")) or as_mapping(entry.get("details"))
