"""Running GGUF models through llama.cpp: loading once, one generation at a time.

Everything here is synchronous and meant to run in a worker thread, never on the event
loop. A llama.cpp context is not thread-safe and holds the KV cache of the generation
in progress, so each model has one lock held across loading and across a whole
generation. Loaded models live in a `ModelPool`, shared by every provider instance of
the process by default: a model costs its weights plus its KV cache in memory, and
loading it again for each `Neoclone` would cost that, and the load time, again.

Generation checks a `threading.Event` between tokens, so a caller that goes away stops
the work within one token, and the lock is released for the next request.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import threading
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import attrs
import structlog

from neoclone_core import ChatChunk, ChatRequest, Usage, content_text
from neoclone_core.errors import (
    ContextTooLongError,
    ModelNotFoundError,
    ProviderError,
    ProviderUnavailableError,
)

__all__ = [
    "INSTALL_HINT",
    "Completion",
    "Generation",
    "LlamaLike",
    "ModelPool",
    "Runner",
    "chat_options",
    "plain_messages",
    "require_llama_cpp",
    "shared_pool",
]

log = structlog.get_logger("neoclone")

PROVIDER = "local"
INSTALL_HINT = (
    "install it with: CMAKE_ARGS='-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON "
    "-DGGML_F16C=ON' pip install llama-cpp-python"
)
# OpenAI parameters that llama.cpp's chat completion understands the same way.
_PASSED_PARAMS = (
    "top_p",
    "top_k",
    "min_p",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "repeat_penalty",
)


class LlamaLike(Protocol):
    """The part of `llama_cpp.Llama` this provider uses (llama_cpp ships no type hints).

    `n_tokens` is how many tokens the context holds: read when the first chunk arrives,
    it is the prompt's length, which llama.cpp's stream does not report otherwise.
    """

    n_tokens: int

    def create_chat_completion(
        self, messages: list[dict[str, Any]], *, stream: bool, **kwargs: Any
    ) -> Generator[dict[str, Any], None, None]: ...


Loader = Callable[[Path, int], LlamaLike]


def require_llama_cpp() -> ModuleType:
    """The imported `llama_cpp` module, or ProviderUnavailableError saying how to install it.

    Importing it loads the native library (slow, and it can fail for a build made for
    another CPU), so it happens here, in a worker thread, never at plugin import.
    """
    try:
        # import_module, not `import`: llama_cpp ships no type information for mypy.
        return importlib.import_module("llama_cpp")
    except (ImportError, OSError) as exc:
        msg = f"local: llama-cpp-python is not usable ({type(exc).__name__}: {exc}); {INSTALL_HINT}"
        raise ProviderUnavailableError(msg, provider=PROVIDER) from exc


def load_llama(path: Path, n_ctx: int) -> LlamaLike:
    """A llama.cpp model for `path` with a context of `n_ctx` tokens (0: as trained).

    Threads stay at llama-cpp-python's defaults (half the cores generate, all of them
    process the prompt): on two cores SmolLM2 generates faster on one thread than on
    two, whose synchronisation costs more than a 135M model's arithmetic. Flash
    attention processed prompts about 1.5 times as fast here, and generated a little
    faster; llama.cpp turns it off by itself for a model that cannot use it.
    """
    llama: LlamaLike = require_llama_cpp().Llama(
        model_path=str(path), n_ctx=n_ctx, flash_attn=True, verbose=False
    )
    return llama


@attrs.define(eq=False)
class Generation:
    """The arguments of one generation, and the flag that stops it between tokens."""

    messages: list[dict[str, Any]]
    options: dict[str, Any]
    stop: threading.Event = attrs.field(factory=threading.Event)


@attrs.frozen
class Completion:
    """A finished (or stopped) generation, gathered for a non-streaming answer."""

    content: str
    finish_reason: str | None
    usage: Usage


@attrs.define(eq=False)
class Runner:
    """One model file, loaded on first use and then kept; one generation at a time."""

    path: Path
    model_id: str
    n_ctx: int
    loader: Loader = load_llama
    loads: int = 0
    load_seconds: float | None = None
    tokens_generated: int = 0
    _llama: LlamaLike | None = attrs.field(init=False, default=None)
    _lock: threading.Lock = attrs.field(init=False, factory=threading.Lock)

    def complete(self, generation: Generation) -> Completion:
        """The whole completion: the streamed chunks, gathered."""
        chunks: list[ChatChunk] = []
        usage = self.generate(generation, chunks.append)
        reasons = [c.finish_reason for c in chunks if c.finish_reason]
        content = "".join(c.content for c in chunks)
        return Completion(content, reasons[-1] if reasons else None, usage)

    def generate(self, generation: Generation, emit: Callable[[ChatChunk], None]) -> Usage:
        """Hand each chunk to `emit` as soon as llama.cpp produces it; return the usage.

        Always streams, even for a non-streaming answer: llama-cpp-python's chat API
        has no stopping hook, and between two chunks of its stream is the only place
        where a generation whose caller has gone away can be stopped. It stops there
        once `generation.stop` is set, closing llama.cpp's generator.
        """
        with self._lock, _mapped_errors(self.model_id):
            llama = self._loaded()
            if generation.stop.is_set():  # cancelled while waiting for the lock
                return Usage()
            stream = llama.create_chat_completion(
                generation.messages, stream=True, **generation.options
            )
            try:
                return self._relay(llama, stream, generation.stop, emit)
            finally:
                stream.close()

    def _relay(
        self,
        llama: LlamaLike,
        stream: Iterator[dict[str, Any]],
        stop: threading.Event,
        emit: Callable[[ChatChunk], None],
    ) -> Usage:
        prompt_tokens: int | None = None
        completion_tokens = 0
        for raw in stream:
            if stop.is_set():
                break
            if prompt_tokens is None:  # the prompt is in the context, no output yet
                prompt_tokens = llama.n_tokens
            chunk = _chunk(raw)
            if chunk is None:
                continue
            completion_tokens += bool(chunk.content)
            self.tokens_generated += bool(chunk.content)
            emit(chunk)
        return Usage(prompt_tokens, completion_tokens)

    def _loaded(self) -> LlamaLike:
        if self._llama is None:
            if not self.path.is_file():
                msg = f"{self.model_id}: model file not found: {self.path}"
                raise ModelNotFoundError(msg, provider=PROVIDER, model=self.model_id)
            started = time.perf_counter()
            self._llama = self.loader(self.path, self.n_ctx)
            self.load_seconds = time.perf_counter() - started
            self.loads += 1
            log.info("neoclone.local.model_loaded", path=str(self.path), seconds=self.load_seconds)
        return self._llama


@contextlib.contextmanager
def _mapped_errors(model_id: str) -> Iterator[None]:
    """Turn what llama.cpp raises into the errors fallback strategies decide on."""
    try:
        yield
    except ProviderError:
        raise
    except Exception as exc:
        text = f"{model_id}: {type(exc).__name__}: {exc}"
        if isinstance(exc, ValueError) and "context window" in str(exc):
            raise ContextTooLongError(text, provider=PROVIDER, model=model_id) from exc
        if isinstance(exc, FileNotFoundError):
            raise ModelNotFoundError(text, provider=PROVIDER, model=model_id) from exc
        raise ProviderUnavailableError(text, provider=PROVIDER, model=model_id) from exc


def _chunk(raw: dict[str, Any]) -> ChatChunk | None:
    """A ChatChunk for one llama.cpp stream chunk (one token, mostly), or None for one
    with nothing in it (the opening chunk carries only the assistant's role)."""
    choice = raw["choices"][0]
    content = choice.get("delta", {}).get("content") or ""
    finish_reason = choice.get("finish_reason")
    if not content and finish_reason is None:
        return None
    return ChatChunk(content=content, finish_reason=finish_reason)


@attrs.define(eq=False)
class ModelPool:
    """The runners of this process, one per model file, created on first request."""

    loader: Loader = load_llama
    _runners: dict[Path, Runner] = attrs.field(init=False, factory=dict)
    _lock: threading.Lock = attrs.field(init=False, factory=threading.Lock)

    def runner(self, path: Path, model_id: str, n_ctx: int) -> Runner:
        """The runner for `path`, created (not yet loaded) the first time it is asked for."""
        key = path.resolve()
        with self._lock:
            if key not in self._runners:
                self._runners[key] = Runner(path, model_id, n_ctx, loader=self.loader)
            return self._runners[key]


@functools.cache
def shared_pool() -> ModelPool:
    """The process-wide pool: built on first use, so importing the plugin allocates nothing."""
    return ModelPool()


def plain_messages(request: ChatRequest) -> list[dict[str, Any]]:
    """The request's messages as llama.cpp's chat templates expect them: text content.

    OpenAI clients may send content as a list of parts; GGUF chat templates concatenate
    `content` as a string, so the text parts are joined and the others dropped.
    """
    return [
        {**message, "content": content_text(message.get("content"))} for message in request.messages
    ]


def chat_options(request: ChatRequest) -> dict[str, Any]:
    """llama.cpp keyword arguments for `request`: its limits and the sampling parameters
    that mean the same to llama.cpp; the rest of OpenAI's parameters are ignored."""
    options: dict[str, Any] = {
        name: request.params[name] for name in _PASSED_PARAMS if name in request.params
    }
    if request.max_tokens is not None:
        options["max_tokens"] = request.max_tokens
    if request.temperature is not None:
        options["temperature"] = request.temperature
    return options
