"""The local provider: GGUF models run in process, so a request can always be answered.

The async methods only move work to threads and results back: llama.cpp computes for
tens of milliseconds per token, which must never happen on the event loop.
`chat()` waits for a worker thread; `stream()` starts a thread of its own that posts
each chunk back to the loop as it is generated. Both set the generation's stop flag
when their caller goes away (cancellation, a timeout, a stream closed early), so the
model stops within a token and is free for the next request.
"""

from __future__ import annotations

import math
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
import attrs
import structlog
from anyio.lowlevel import EventLoopToken
from anyio.streams.memory import MemoryObjectSendStream

from neoclone_core import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    ModelInfo,
    Pricing,
    ProviderContext,
)
from neoclone_core.errors import ModelNotFoundError, ProviderError
from neoclone_core.provider import Access, FreeTier
from neoclone_provider_local._files import (
    DEFAULT_DISTRIBUTION,
    MODELS_ENV,
    ModelFile,
    configured_paths,
    default_model_path,
    option_paths,
    scan,
)
from neoclone_provider_local._runtime import (
    Generation,
    ModelPool,
    Runner,
    chat_options,
    plain_messages,
    require_llama_cpp,
    shared_pool,
)

__all__ = ["LocalProvider"]

log = structlog.get_logger("neoclone")
_FREE = Pricing(input_per_mtok=0.0, output_per_mtok=0.0)
_Item = ChatChunk | ProviderError
FREE_TIER = FreeTier(
    Access.FREE_MODELS,
    terms=("runs on this machine: its CPU, memory and electricity; nothing leaves it",),
    limits="none but the machine's",
    source="https://github.com/ggml-org/llama.cpp",
    checked="2026-12-07",
)


@attrs.define(eq=False)
class LocalProvider:
    """Serves the default SmolLM2 model and the user's GGUF files through llama.cpp.

    `extra_paths` are GGUF files or folders of them; None reads `$NEOCLONE_LOCAL_MODELS`
    at each scan. `pool` holds the loaded models; the default one is shared by the
    whole process, so each model is loaded at most once however many `Neoclone`
    instances use it.
    """

    name: str = "local"
    default_base_url: str = ""
    api_key_env: str | None = None
    last_resort: bool = True  # runs on this machine: the core ends every plan with it
    free_tier: FreeTier = FREE_TIER
    extra_paths: Sequence[Path] | None = None
    include_default: bool = True
    pool: ModelPool = attrs.field(factory=shared_pool)
    _files: dict[str, ModelFile] = attrs.field(init=False, factory=dict)

    async def discover(self, ctx: ProviderContext) -> list[ModelInfo]:
        """The servable models with what their GGUF headers say; no model is loaded."""
        await anyio.to_thread.run_sync(require_llama_cpp)
        files = await anyio.to_thread.run_sync(self._scan, option_paths(ctx.options))
        now = ctx.clock()
        return [_model_info(file, now) for file in files]

    async def chat(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> ChatResponse:
        """One completion, computed in a worker thread (the model loads on first use)."""
        runner = await self._runner(ctx, model)
        generation = Generation(plain_messages(request), chat_options(request))
        try:
            done = await anyio.to_thread.run_sync(
                runner.complete, generation, abandon_on_cancel=True
            )
        finally:
            generation.stop.set()  # after a cancellation the abandoned thread stops too
        return ChatResponse(model.id, done.content, done.finish_reason, done.usage)

    async def stream(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> AsyncIterator[ChatChunk]:
        """The completion's chunks, each yielded as soon as the model produces it.

        The producer is a thread of its own rather than a task: an async generator must
        not hold a task group open across its `yield`s (a consumer that stops early
        would exit it from the wrong task), and a thread needs no task to outlive.
        """
        runner = await self._runner(ctx, model)
        generation = Generation(plain_messages(request), chat_options(request))
        send, receive = anyio.create_memory_object_stream[_Item](max_buffer_size=math.inf)
        token = anyio.lowlevel.current_token()
        producer = threading.Thread(
            target=_produce,
            args=(runner, generation, send, _poster(token, generation)),
            name=f"neoclone-local-{model.name}",
            daemon=True,
        )
        producer.start()
        try:
            with receive:
                async for item in receive:
                    if isinstance(item, ProviderError):
                        raise item
                    yield item
        finally:
            generation.stop.set()

    def _scan(self, configured: Sequence[Path] = ()) -> list[ModelFile]:
        """Scan the default model, `configured` (from the config file's options) and
        `extra_paths` (or `$NEOCLONE_LOCAL_MODELS`)."""
        extra = self.extra_paths if self.extra_paths is not None else configured_paths()
        paths = [*configured, *extra]
        if self.include_default:
            default = default_model_path()
            if default is None:
                log.warning("neoclone.local.default_missing", distribution=DEFAULT_DISTRIBUTION)
            else:
                paths.insert(0, default)
        files = scan(paths)
        self._files = {file.name: file for file in files}
        return files

    async def _runner(self, ctx: ProviderContext, model: ModelInfo) -> Runner:
        """The runner for a catalog model, rescanning once if this instance has not
        scanned yet (the catalog may come from an earlier process's cache)."""
        file = self._files.get(model.name)
        if file is None:
            await anyio.to_thread.run_sync(self._scan, option_paths(ctx.options))
            file = self._files.get(model.name)
        if file is None:
            known = ", ".join(sorted(self._files)) or "none"
            msg = (
                f"{model.id}: no such local model (serving: {known}); list GGUF files in "
                f"[providers.local.options] models, or in ${MODELS_ENV}"
            )
            raise ModelNotFoundError(msg, provider=self.name, model=model.name)
        return self.pool.runner(file.path, model.id, file.context_length or 0)


def _model_info(file: ModelFile, now: float) -> ModelInfo:
    return ModelInfo(
        provider="local",
        name=file.name,
        display_name=file.display_name,
        context_length=file.context_length,
        capabilities=file.capabilities,
        pricing=_FREE,
        free=True,
        discovered_at=now,
    )


def _poster(token: EventLoopToken, generation: Generation) -> Callable[..., None]:
    """Runs a callable on the event loop from the producer thread; if the loop or the
    consumer is gone, stops the generation instead of raising into llama.cpp."""

    def post(func: Callable[..., object], *args: object) -> None:
        try:
            anyio.from_thread.run_sync(func, *args, token=token)
        except Exception:  # loop finished, receiver closed: nobody is listening
            generation.stop.set()

    return post


def _produce(
    runner: Runner,
    generation: Generation,
    send: MemoryObjectSendStream[_Item],
    post: Callable[..., None],
) -> None:
    """The stream's producer thread: runs the generation, posting chunks, then the end."""

    def emit(chunk: ChatChunk) -> None:
        post(send.send_nowait, chunk)

    try:
        runner.generate(generation, emit)
    except ProviderError as exc:
        post(send.send_nowait, exc)
    finally:
        post(send.close)
