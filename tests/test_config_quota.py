"""The `[quota]` table: budgets below the free tiers' limits, and how mistakes in it are
reported (the file and the dotted key, as every config error)."""

from __future__ import annotations

from pathlib import Path

import pytest

from neoclone_core.config import load_settings
from neoclone_core.config_quota import QuotaSettings
from neoclone_core.errors import ConfigError
from neoclone_core.models import RateLimit

QUOTA = """
[quota]
health_share = 0.1

[quota.providers.groq]
requests_per_day = 500

[quota.models."openrouter/deepseek/deepseek-r1:free"]
requests_per_day = 20
tokens_per_minute = 8000
"""


def load(tmp_path: Path, text: str) -> QuotaSettings:
    config = tmp_path / "neoclone.toml"
    config.write_text(text, encoding="utf-8")
    return load_settings(config, env={}, cwd=tmp_path).quota


def test_budgets_per_provider_and_model_and_a_health_share_are_read(tmp_path: Path) -> None:
    quota = load(tmp_path, QUOTA)

    assert quota.health_share == 0.1
    assert quota.providers == {"groq": RateLimit(requests_per_day=500)}
    assert quota.models == {
        "openrouter/deepseek/deepseek-r1:free": RateLimit(
            requests_per_day=20, tokens_per_minute=8000
        )
    }


def test_no_quota_table_means_no_budgets(tmp_path: Path) -> None:
    assert load(tmp_path, "") == QuotaSettings()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[quota]\nhealth_share = 1.5\n",
            "quota.health_share must be a number from 0 up to (not including) 1, got 1.5",
        ),
        (
            "[quota.providers.groq]\nrequests_per_day = -5\n",
            "quota.providers.groq.requests_per_day must be a whole number >= 1, got -5",
        ),
        (
            "[quota.models.m]\ntokens_per_minute = 2.5\n",
            "quota.models.m.tokens_per_minute must be a whole number >= 1, got 2.5",
        ),
        (
            "[quota.providers.groq]\nrequest_per_day = 5\n",
            "unknown key 'quota.providers.groq.request_per_day' (did you mean 'requests_per_day'?",
        ),
        ("[quota.providers.groq]\n", "quota.providers.groq.requests_per_day (or another budget)"),
        ("[quota]\nproviders = 3\n", "quota.providers must be a table, got 3"),
    ],
)
def test_a_bad_budget_names_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, text)

    assert str(raised.value).startswith(f"{tmp_path / 'neoclone.toml'}: ")
    assert message in str(raised.value)
