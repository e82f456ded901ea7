"""Real generation with the shipped SmolLM2-135M-Instruct model (short outputs only).

The pool is shared by the whole session, so the model loads once for all these tests.
"""

from __future__ import annotations

import time

import anyio
import pytest
from neoclone_provider_local import LocalProvider, ModelPool

from neoclone_core import ChatChunk, ChatRequest, ModelInfo, ProviderContext
from neoclone_core.errors import ContextTooLongError

pytestmark = pytest.mark.anyio

# Long enough that the model does not finish on its own before the tests stop it.
LONG_STORY = "Write a long story about a dragon who learns to bake bread."


@pytest.fixture
async def model(provider: LocalProvider, ctx: ProviderContext) -> ModelInfo:
    [model] = await provider.discover(ctx)
    return model


def request(prompt: str, max_tokens: int, temperature: float = 0.0) -> ChatRequest:
    return ChatRequest.from_prompt(prompt, max_tokens=max_tokens, temperature=temperature)


async def test_chat_answers_with_real_text_within_max_tokens(
    provider: LocalProvider, ctx: ProviderContext, model: ModelInfo
) -> None:
    response = await provider.chat(ctx, model, request("What is the capital of France?", 8))
    assert response.content.strip()
    assert response.model_id == "local/smollm2-135m-instruct"
    assert response.usage.prompt_tokens and response.usage.prompt_tokens > 5
    assert response.usage.completion_tokens is not None
    assert 0 < response.usage.completion_tokens <= 8
    assert response.finish_reason in {"stop", "length"}


async def test_stream_yields_the_answer_in_several_chunks(
    provider: LocalProvider, ctx: ProviderContext, model: ModelInfo
) -> None:
    chunks = [c async for c in provider.stream(ctx, model, request("Name three colours.", 8))]
    text = [c for c in chunks if c.content]
    assert len(text) >= 3
    assert "".join(c.content for c in text).strip()
    assert chunks[-1].finish_reason in {"stop", "length"}


async def test_the_model_loads_once_across_calls_and_providers(
    provider: LocalProvider, ctx: ProviderContext, model: ModelInfo, pool: ModelPool
) -> None:
    other = LocalProvider(extra_paths=[], pool=pool)
    await other.discover(ctx)
    for each in (provider, other):
        await each.chat(ctx, model, request("Hi", 2))
        [_ async for _ in each.stream(ctx, model, request("Hi", 2))]
    runner = await provider._runner(ctx, model)
    assert runner.loads == 1
    assert runner.load_seconds is not None


async def test_generation_leaves_the_event_loop_free(
    provider: LocalProvider, ctx: ProviderContext, model: ModelInfo
) -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await anyio.sleep(0.005)
            ticks += 1

    async with anyio.create_task_group() as tg:
        tg.start_soon(tick)
        started = time.perf_counter()
        await provider.chat(ctx, model, request(LONG_STORY, 16))
        elapsed = time.perf_counter() - started
        tg.cancel_scope.cancel()
    assert ticks >= elapsed / 0.005 / 4  # the ticker kept running while the model computed


async def test_closing_a_stream_early_stops_generation_and_frees_the_model(
    provider: LocalProvider, ctx: ProviderContext, model: ModelInfo
) -> None:
    runner = await provider._runner(ctx, model)
    stream = provider.stream(ctx, model, request(LONG_STORY, 200))
    first = await stream.__anext__()
    assert isinstance(first, ChatChunk)
    before = runner.tokens_generated
    await stream.aclose()  # type: ignore[attr-defined]
    with anyio.fail_after(10):  # waits for the lock: the stopped stream must release it
        await provider.chat(ctx, model, request("Hi", 1))
    assert runner.tokens_generated - before < 20  # far fewer than the 200 asked for


async def test_a_cancelled_chat_stops_and_frees_the_model(
    provider: LocalProvider, ctx: ProviderContext, model: ModelInfo
) -> None:
    runner = await provider._runner(ctx, model)
    before = runner.tokens_generated
    with anyio.move_on_after(0.2) as scope:
        await provider.chat(ctx, model, request(LONG_STORY, 200))
    assert scope.cancelled_caught
    with anyio.fail_after(10):
        response = await provider.chat(ctx, model, request("Hi", 1))
    assert response.usage.completion_tokens == 1
    assert runner.tokens_generated - before < 60


async def test_a_prompt_longer_than_the_context_is_refused(
    provider: LocalProvider, ctx: ProviderContext, model: ModelInfo
) -> None:
    huge = "hello " * 9000  # more tokens than SmolLM2's 8192-token context
    with pytest.raises(ContextTooLongError, match="context window"):
        await provider.chat(ctx, model, request(huge, 4))
