"""The budget's claims and reasons: which windows a call counts in under each provider's
rules and the user's budgets, and how a refusal reads."""

from __future__ import annotations

import time
from pathlib import Path

from neoclone_core.config_quota import DEFAULT_QUOTA, QuotaSettings
from neoclone_core.execute.budget import Budget, describe, estimate_tokens
from neoclone_core.models import ChatRequest, ModelInfo, RateLimit
from neoclone_core.quota import DEFAULT_RULES, DayStart, QuotaRules, QuotaScope
from neoclone_core.state.store import Store
from neoclone_core.state.usage import Period, Shortfall, Window

FREE = RateLimit(requests_per_minute=20, requests_per_day=50)  # OpenRouter's :free limits
ACCOUNT = QuotaRules(scope=QuotaScope.ACCOUNT, day_start=DayStart.UTC)
NOW = 1_765_000_000.0  # 2025-12-06 05:46:40 UTC


def budget(store: Store | None, settings: QuotaSettings = DEFAULT_QUOTA) -> Budget:
    rules = {"openrouter": ACCOUNT, "gemini": QuotaRules(day_start=DayStart.PACIFIC)}
    return Budget(
        store, settings, lambda name: rules.get(name, DEFAULT_RULES), lambda: NOW, time.monotonic
    )


def windows(b: Budget, model: ModelInfo) -> dict[tuple[str, Period], int | None]:
    return {(c.window.scope, c.window.period): c.request_limit for c in b.claims(model, "k")}


def test_an_account_limit_counts_free_calls_together_and_leaves_paid_ones_out() -> None:
    free = ModelInfo("openrouter", "a:free", free=True, rate_limit=FREE)
    paid = ModelInfo("openrouter", "b")

    assert windows(budget(None), free) == {
        ("openrouter/a:free", Period.MINUTE): None,
        ("openrouter/a:free", Period.DAY_UTC): None,
        ("provider:openrouter", Period.MINUTE): 20,
        ("provider:openrouter", Period.DAY_UTC): 50,
    }
    assert set(windows(budget(None), paid)) == {
        ("openrouter/b", Period.MINUTE),
        ("openrouter/b", Period.DAY_UTC),
    }


def test_per_model_limits_with_a_pacific_day_and_budgets_below_them() -> None:
    model = ModelInfo("gemini", "flash", rate_limit=RateLimit(10, 250, 250_000))
    settings = QuotaSettings(
        health_share=0.2, models={"gemini/flash": RateLimit(requests_per_day=100)}
    )

    claims = {
        (c.window.scope, c.window.period): c for c in budget(None, settings).claims(model, "k")
    }

    assert claims["gemini/flash", Period.MINUTE].request_limit == 8  # 10 less the 20% kept
    assert claims["gemini/flash", Period.MINUTE].token_limit == 200_000
    assert claims["gemini/flash", Period.DAY_PACIFIC].request_limit == 80  # the budget, less 20%
    assert budget(None, settings).claims(model, "k", probe=True)[1].request_limit == 100


def test_a_free_account_stops_at_its_daily_limit_across_models(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite3") as store:
        b = budget(store)
        models = [ModelInfo("openrouter", f"m{i}:free", rate_limit=FREE) for i in range(3)]
        request = ChatRequest.from_prompt("hi")
        verdicts = [b.reserve(models[i % 3], "k", request) for i in range(21)]

    assert all(not isinstance(v, str) for v in verdicts[:20])
    assert verdicts[20] == "openrouter: 0 of 20 requests left a minute, resets in 1m 5s"


def test_refusals_say_what_is_left_and_when_it_comes_back() -> None:
    midnight = (NOW // 86400 + 1) * 86400
    day = Shortfall(Window("groq", "k", Period.DAY_UTC), "requests", 0, 1000, 1, midnight)
    pacific_end = Period.DAY_PACIFIC.day(NOW)[1]
    gemini = Shortfall(
        Window("gemini/flash", "k", Period.DAY_PACIFIC), "requests", 0, 250, 1, pacific_end
    )
    tokens = Shortfall(Window("groq/m", "k", Period.MINUTE), "tokens", 6990, 7000, 12903, NOW + 42)

    assert describe(day, NOW) == "groq: 0 of 1,000 requests left today, resets 00:00 UTC"
    assert describe(gemini, NOW) == (
        "gemini/flash: 0 of 250 requests left today, resets 08:00 UTC (midnight Pacific)"
    )
    assert describe(tokens, NOW) == (
        "groq/m: needs ~12,903 tokens, 6,990 of 7,000 left a minute, resets in 42s"
    )


def test_a_token_estimate_counts_the_prompt_and_the_answer_room() -> None:
    assert estimate_tokens(ChatRequest.from_prompt("x" * 400, max_tokens=100)) == 201
    assert estimate_tokens(ChatRequest.from_prompt("hi")) == 1 + 512
