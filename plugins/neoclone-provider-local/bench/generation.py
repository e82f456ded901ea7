"""How fast the local provider is here: import, load, first token and tokens per second.

RequestRun: python plugins/neoclone-provider-local/bench/generation.py [runs]. Measures through
the provider's own API (worker threads included), in a fresh process so the first load
is a real one. The README keeps the figures.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import cast

import anyio
import httpx
from neoclone_provider_local import LocalProvider, ModelPool
from neoclone_provider_local._runtime import require_llama_cpp

from neoclone_core import ChatRequest, ProviderContext

PROMPT = "Write a long story about dragon number {n}, who learns to bake bread."
LONG_PROMPT = "Summarise this text. " + "The quick brown fox jumps over the lazy dog. " * 150
MAX_TOKENS = 128


async def one_stream(
    provider: LocalProvider, ctx: ProviderContext, prompt: str, max_tokens: int = MAX_TOKENS
) -> tuple[float, float, int]:
    """First-token latency, tokens/s after it, and tokens streamed, for one request."""
    [model] = await provider.discover(ctx)
    request = ChatRequest.from_prompt(prompt, max_tokens=max_tokens, temperature=0.0)
    started = time.perf_counter()
    first = 0.0
    tokens = 0
    async for chunk in provider.stream(ctx, model, request):
        if chunk.content:
            tokens += 1
            first = first or time.perf_counter() - started
    total = time.perf_counter() - started
    return first, (tokens - 1) / (total - first), tokens


async def main(runs: int) -> None:
    started = time.perf_counter()
    require_llama_cpp()
    print(f"import llama_cpp            {time.perf_counter() - started:6.3f} s")
    pool = ModelPool()
    provider = LocalProvider(extra_paths=[], pool=pool)
    ctx = ProviderContext("local", "", None, None, 60.0, cast(httpx.AsyncClient, None), time.time)
    results = [await one_stream(provider, ctx, PROMPT.format(n=n)) for n in range(runs + 1)]
    [runner] = pool._runners.values()
    print(f"model load                  {runner.load_seconds or 0:6.3f} s")
    print(f"first request, first token  {results[0][0]:6.3f} s (includes the load)")
    warm = results[1:]
    print(f"first token, warm (median)  {statistics.median(r[0] for r in warm):6.3f} s")
    first, _, _ = await one_stream(provider, ctx, LONG_PROMPT, max_tokens=2)
    print(f"first token, long prompt    {first:6.3f} s (1,500 prompt tokens)")
    rates = [r[1] for r in warm]
    print(
        f"generation                  {statistics.median(rates):6.1f} tokens/s median,"
        f" {min(rates):.1f}-{max(rates):.1f} (n={runs}, {warm[0][2]} tokens each)"
    )


if __name__ == "__main__":
    anyio.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 5)
