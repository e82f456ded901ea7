"""The model knowledge: one family per model across providers, figures with their source and
date, priors marked as priors, and a shipped file that the recorded inputs rebuild exactly."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from neoclone_core.discover import knowledge as kn

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "neoclone_core" / "data" / "model_knowledge.json"
SNAPSHOT = ROOT / "neoclone_core" / "data" / "snapshot.json"


def _build_script() -> ModuleType:
    path = ROOT / "scripts" / "build_model_knowledge.py"
    spec = importlib.util.spec_from_file_location("build_model_knowledge", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SHIPPED.read_text("utf-8"))
    return document


@pytest.fixture(scope="module")
def base(shipped: dict[str, Any]) -> kn.KnowledgeBase:
    return kn.KnowledgeBase(shipped)


# Real ids from the bundled snapshot and the provider recordings, grouped by the model they
# all name.
SAME_MODEL = {
    "llama-3.3-70b-instruct": [
        "openrouter/meta-llama/llama-3.3-70b-instruct:free",
        "groq/llama-3.3-70b-versatile",
        "github/meta/Llama-3.3-70B-Instruct",
        "together/meta-llama/Llama-3.3-70B-Instruct-Turbo-Free",
        "together/meta-llama/Llama-3.3-70B-Instruct-Turbo",
        "cerebras/llama-3.3-70b",
    ],
    "llama-3.1-8b-instruct": [
        "openrouter/meta-llama/llama-3.1-8b-instruct:free",
        "groq/llama-3.1-8b-instant",
        "github/meta/Meta-Llama-3.1-8B-Instruct",
        "cerebras/llama3.1-8b",
    ],
    "llama-4-maverick-17b-128e-instruct": [
        "openrouter/meta-llama/llama-4-maverick:free",
        "groq/meta-llama/llama-4-maverick-17b-128e-instruct",
        "github/meta/Llama-4-Maverick-17B-128E-Instruct-FP8",
    ],
    "llama-4-scout-17b-16e-instruct": [
        "openrouter/meta-llama/llama-4-scout:free",
        "groq/meta-llama/llama-4-scout-17b-16e-instruct",
        "github/meta/Llama-4-Scout-17B-16E-Instruct",
    ],
    "llama-3.2-vision-11b-instruct": [
        "openrouter/meta-llama/llama-3.2-11b-vision-instruct:free",
        "github/meta/Llama-3.2-11B-Vision-Instruct",
    ],
    "deepseek-r1": [
        "openrouter/deepseek/deepseek-r1:free",
        "github/deepseek/DeepSeek-R1",
        "ollama/deepseek-r1:latest",
    ],
    "deepseek-v3-0324": [
        "openrouter/deepseek/deepseek-chat-v3-0324:free",
        "github/deepseek/DeepSeek-V3-0324",
    ],
    "qwen3-32b": ["openrouter/qwen/qwen3-32b:free", "groq/qwen/qwen3-32b"],
    "gpt-oss-120b": ["groq/openai/gpt-oss-120b", "cerebras/gpt-oss-120b"],
    "mistral-small-3.1-24b-instruct-2503": [
        "openrouter/mistralai/mistral-small-3.1-24b-instruct:free",
        "github/mistral-ai/mistral-small-2503",
    ],
    "gemini-2.0-flash-001": ["gemini/gemini-2.0-flash", "gemini/gemini-2.0-flash-001"],
    "gemini-2.0-flash-lite-preview-02-05": [
        "gemini/gemini-2.0-flash-lite",
        "gemini/gemini-2.0-flash-lite-001",
    ],
    "gemma-3-27b-it": ["openrouter/google/gemma-3-27b-it:free", "ollama/gemma3:27b"],
    "llama-3.1-405b-instruct": ["github/meta/Meta-Llama-3.1-405B-Instruct"],
    "qwen2.5-72b-instruct": [
        "openrouter/qwen/qwen-2.5-72b-instruct:free",
        "huggingface/Qwen/Qwen2.5-72B-Instruct",
    ],
    "qwen3-235b-a22b-instruct-2507": ["cerebras/qwen-3-235b-a22b-instruct-2507"],
    "kimi-k2-0711-preview": ["groq/moonshotai/kimi-k2-instruct"],
    "kimi-k2-0905-preview": ["groq/moonshotai/kimi-k2-instruct-0905"],
    "command-a-03-2025": ["github/cohere/cohere-command-a"],
    "jamba-1.5-large": ["github/ai21-labs/AI21-Jamba-1.5-Large"],
    "gpt-4.1-20250414": ["github/openai/gpt-4.1"],
    "o3-20250416": ["github/openai/o3"],
    "mistral-large-2411": ["github/mistral-ai/Mistral-Large-2411", "mistral/mistral-large-latest"],
    "codestral-2501": ["github/mistral-ai/Codestral-2501", "mistral/codestral-latest"],
}


@pytest.mark.parametrize(
    ("family", "model_id"),
    [(family, model_id) for family, ids in SAME_MODEL.items() for model_id in ids],
)
def test_every_providers_name_for_a_model_finds_its_family(
    base: kn.KnowledgeBase, family: str, model_id: str
) -> None:
    knowledge = base.lookup(model_id)
    assert knowledge.family == family
    assert not knowledge.is_prior
    assert knowledge.is_chat


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("meta-llama/Llama-3.3-70B-Instruct-Turbo-Free", "llama-3.3-70b-instruct"),
        ("github/meta/Meta-Llama-3.1-405B-Instruct", "llama-3.1-405b-instruct"),
        ("Meta-Llama-3.1-405B-Instruct-fp8", "llama-3.1-405b-instruct"),
        ("openrouter/google/gemma-3-27b-it:free", "gemma-3-27b-it"),
        ("ollama/qwen3:8b", "qwen3-8b"),
        ("cerebras/qwen-3-235b-a22b-instruct-2507", "qwen3-235b-a22b-instruct-2507"),
        ("openrouter/qwen/qwen-2.5-coder-32b-instruct:free", "qwen2.5-coder-32b-instruct"),
        ("github/cohere/Cohere-command-r-plus", "command-r-plus"),
        ("ChatGPT-4o-latest (2025-03-26)", "chatgpt-4o-latest-20250326"),
        ("gpt-4.1-2025-04-14", "gpt-4.1-20250414"),
        ("gemini/models/gemini-2.5-flash", "gemini-2.5-flash"),
    ],
)
def test_family_key_drops_org_tags_and_quantisation(name: str, key: str) -> None:
    assert kn.family_key(name) == key


@pytest.mark.parametrize(
    ("key", "params"),
    [
        ("llama-3.3-70b-instruct", (70.0, None)),
        ("qwen3-235b-a22b", (235.0, 22.0)),
        ("mixtral-8x7b-instruct-v0.1", (56.0, None)),
        ("moonlight-16b-a3b-instruct", (16.0, 3.0)),
        ("kimi-vl-a3b-thinking", (None, 3.0)),
        ("gemma-3n-e4b-it", (None, 4.0)),
        ("llama-4-scout-17b-16e-instruct", (None, 17.0)),
        ("llama-3.2-1b-instruct", (1.0, None)),
        ("qwen2.5-vl-3b-instruct", (3.0, None)),
        ("phi-3.5-mini-instruct", (None, None)),
        ("llama-prompt-guard-2-22m", (0.022, None)),
        ("gpt-4.1-20250414", (None, None)),
    ],
)
def test_parameter_counts_come_from_the_name(
    key: str, params: tuple[float | None, float | None]
) -> None:
    assert kn.params_from_name(key) == params


def test_known_sizes_fill_in_where_the_name_is_silent() -> None:
    assert kn.parse_params("deepseek-r1") == (671.0, 37)
    assert kn.parse_params("llama-4-scout-17b-16e-instruct") == (109.0, 17.0)
    assert kn.parse_params("phi-4") == (14.0, None)
    assert kn.effective_params(235, 22) == pytest.approx((235 * 22) ** 0.5)


@pytest.mark.parametrize(
    ("model_id", "display", "flags"),
    [
        ("openrouter/deepseek/deepseek-v3-base:free", "", {kn.BASE}),
        ("openrouter/meta-llama/llama-3.1-405b:free", "Meta: Llama 3.1 405B (base)", {kn.BASE}),
        ("openrouter/arliai/qwq-32b-arliai-rpr-v1:free", "", {kn.ROLEPLAY, kn.REASONING}),
        ("openrouter/deepseek/deepseek-r1-distill-qwen-32b:free", "", {kn.DISTILLED}),
        ("openrouter/agentica-org/deepcoder-14b-preview:free", "", {kn.PREVIEW, kn.CODER}),
        ("openrouter/moonshotai/kimi-vl-a3b-thinking:free", "", {kn.REASONING, kn.VISION}),
        ("openrouter/qwen/qwq-32b:free", "", {kn.REASONING}),
        ("github/microsoft/Phi-4-reasoning", "", {kn.REASONING}),
        ("openrouter/mistralai/devstral-small:free", "", {kn.CODER}),
        ("github/meta/Llama-3.3-70B-Instruct", "", {kn.INSTRUCT}),
        ("openrouter/sao10k/l3.3-euryale-70b", "", {kn.ROLEPLAY}),
    ],
)
def test_kind_flags_come_from_the_name(model_id: str, display: str, flags: set[str]) -> None:
    kinds = kn.kinds_of(kn.family_key(model_id), display)
    assert flags <= kinds


@pytest.mark.parametrize(
    "model_id",
    [
        "openrouter/deepseek/deepseek-v3-base:free",
        "groq/whisper-large-v3",
        "groq/whisper-large-v3-turbo",
        "groq/playai-tts",
        "groq/meta-llama/llama-guard-4-12b",
        "groq/meta-llama/llama-prompt-guard-2-86m",
        "gemini/lyria-realtime-exp",
        "gemini/imagen-4.0-generate-001",
        "gemini/embedding-001",
        "gemini/text-embedding-004",
        "together/black-forest-labs/FLUX.1-schnell-Free",
        "together/togethercomputer/m2-bert-80M-32k-retrieval",
        "mistral/mistral-embed",
        "github/openai/text-embedding-3-large",
    ],
)
def test_base_audio_image_and_embedding_models_are_not_chat_models(
    base: kn.KnowledgeBase, model_id: str
) -> None:
    assert not kn.is_chat_model(model_id)
    knowledge = base.lookup(model_id)
    assert not knowledge.is_chat
    assert knowledge.is_prior
    assert "not a chat model" in knowledge.explanation


@pytest.mark.parametrize(
    "model_id",
    [
        "cerebras/llama3.1-8b",
        "cerebras/llama-3.3-70b",  # a bare sized name: the instruct model at Cerebras
        "ollama/gemma3:27b",
        "openrouter/meta-llama/llama-3.1-8b-instruct:free",
        "groq/llama-3.3-70b-versatile",
        "openrouter/qwen/qwen3-8b:free",
    ],
)
def test_instruct_models_are_chat_models(model_id: str) -> None:
    assert kn.is_chat_model(model_id)


def test_the_display_name_can_mark_a_base_model() -> None:
    assert not kn.is_chat_model("openrouter/meta-llama/llama-3.1-405b:free", "Llama (base)")


def test_a_base_model_never_takes_its_instruct_siblings_figures(base: kn.KnowledgeBase) -> None:
    base_405b = base.lookup("openrouter/meta-llama/llama-3.1-405b:free", "Llama 3.1 405B (base)")
    assert base_405b.family != ("llama-3.1-405b-instruct")
    assert base.lookup("openrouter/deepseek/deepseek-v3-base:free").is_prior


def test_a_role_play_fine_tune_is_a_prior_and_unsuited_for_general_chat(
    base: kn.KnowledgeBase,
) -> None:
    rp = base.lookup("openrouter/arliai/qwq-32b-arliai-rpr-v1:free")
    qwq = base.lookup("openrouter/qwen/qwq-32b:free")
    assert rp.is_prior
    assert rp.is_chat
    assert not rp.suited_for_general_chat
    assert rp.figure("text").score < qwq.figure("text").score


def test_an_unplaced_model_gets_a_prior_that_says_so(base: kn.KnowledgeBase) -> None:
    knowledge = base.lookup("openrouter/meta-llama/llama-3.3-8b-instruct:free")
    assert knowledge.is_prior
    assert knowledge.matched_by == kn.PRIOR
    assert knowledge.explanation.startswith("prior: 8B instruct model, no leaderboard entry")
    text = knowledge.figure("text")
    assert text.is_prior
    assert text.cite().startswith("prior ")


def test_a_prior_grows_with_size_and_stays_below_the_ceiling(base: kn.KnowledgeBase) -> None:
    small = base.lookup("openrouter/opengvlab/internvl3-2b:free").figure("text").score
    large = base.lookup("openrouter/featherless/qwerky-72b:free").figure("text").score
    assert small < large <= base.prior.ceiling


def test_a_prior_scales_from_a_measured_sibling_of_another_size(base: kn.KnowledgeBase) -> None:
    knowledge = base.lookup("openrouter/qwen/qwen3-8b:free")
    assert knowledge.is_prior
    assert "scaled from qwen3-32b" in knowledge.explanation
    measured = base.lookup("openrouter/qwen/qwen3-32b:free").figure("text").score
    assert knowledge.figure("text").score < measured


def test_a_derived_model_takes_its_parents_figure_as_a_prior(base: kn.KnowledgeBase) -> None:
    knowledge = base.lookup("openrouter/microsoft/mai-ds-r1:free")
    parent = base.lookup("openrouter/deepseek/deepseek-r1:free")
    assert knowledge.is_prior
    assert "derived from deepseek-r1" in knowledge.explanation
    assert knowledge.figure("text").score == parent.figure("text").score


def test_a_placed_model_cites_each_figure_with_source_and_date(base: kn.KnowledgeBase) -> None:
    knowledge = base.lookup("groq/llama-3.3-70b-versatile")
    text = knowledge.figures["text"]
    assert text.source == "LMArena text"
    assert text.date == "2025-12-11"
    assert text.cite() == f"LMArena text {text.score:g}, snapshot 2025-12-11"
    assert text.cite() in knowledge.explanation
    assert knowledge.matched_by == "alias"


def test_a_missing_category_falls_back_to_the_general_figure(base: kn.KnowledgeBase) -> None:
    knowledge = base.lookup("github/meta/Llama-3.3-70B-Instruct")
    assert "vision" not in knowledge.figures
    assert knowledge.figure("vision") == knowledge.figures["text"]
    vision_only = base.lookup("openrouter/qwen/qwen2.5-vl-72b-instruct:free")
    assert vision_only.figure("vision").source == "LMArena vision"
    assert vision_only.figure("text").is_prior
    with pytest.raises(ValueError, match="no arena-scale metric"):
        knowledge.figure("poetry")
    with pytest.raises(ValueError, match="no arena-scale metric"):
        knowledge.figure("aider")


def test_an_undated_name_is_the_newest_dated_entry_with_arena_figures(
    base: kn.KnowledgeBase,
) -> None:
    knowledge = base.lookup("github/openai/gpt-4o")
    assert knowledge.family == "gpt-4o-20240806"
    assert knowledge.matched_by == "undated"
    assert "text" in knowledge.figures


def test_a_lookup_is_memoised(base: kn.KnowledgeBase) -> None:
    first = base.lookup("groq/qwen/qwen3-32b", "qwen/qwen3-32b")
    assert base.lookup("groq/qwen/qwen3-32b", "qwen/qwen3-32b") is first


def test_the_important_free_models_of_the_snapshot_are_placed(base: kn.KnowledgeBase) -> None:
    models = json.loads(SNAPSHOT.read_text("utf-8"))["models"]
    looked_up = {m["id"]: base.lookup(m["id"], m["display_name"]) for m in models}
    unplaced = {model_id for model_id, k in looked_up.items() if k.is_prior}
    important = {
        model_id
        for model_id, k in looked_up.items()
        if (k.params_total_b or 0) >= 100 and k.is_chat and kn.DISTILLED not in k.kinds
    }
    derived = {"github/microsoft/MAI-DS-R1", "openrouter/microsoft/mai-ds-r1:free"}
    derived |= {"openrouter/tngtech/deepseek-r1t-chimera:free"}
    # DeepSeek's proof model and R1-Zero have no leaderboard entry: priors, said to be.
    expected_priors = derived | {
        "openrouter/deepseek/deepseek-prover-v2:free",
        "openrouter/deepseek/deepseek-r1-zero:free",
    }
    assert important & unplaced == expected_priors & important
    assert len(looked_up) - len(unplaced) >= 85


def test_every_figure_in_the_shipped_file_names_its_source_and_date(
    shipped: dict[str, Any],
) -> None:
    names = set(_build_script().SOURCE_NAMES.values())
    sources = {s["id"]: s for s in shipped["sources"]}
    assert {"lmarena-catalog-text", "lmarena-csv-text", "aider-polyglot"} <= set(sources)
    for source in sources.values():
        assert source["repo"] and source["commit"] and source["date"] and source["licence"]
    for entry in shipped["families"]:
        figures = [entry[m] for m in kn.METRICS if m in entry]
        assert figures, entry["family"]
        for figure in figures:
            assert figure["source"] in names
            assert len(figure["date"]) == 10


def test_the_recorded_inputs_rebuild_the_shipped_file(shipped: dict[str, Any]) -> None:
    script = _build_script()
    assert script.build_knowledge(script.INPUTS) == shipped


def test_importing_the_package_does_not_read_the_knowledge_file() -> None:
    code = (
        "import neoclone_core, neoclone_core.discover.knowledge as k;"
        "assert k.default_knowledge.cache_info().currsize == 0;"
        "k.lookup('groq/qwen/qwen3-32b');"
        "assert k.default_knowledge.cache_info().currsize == 1"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_the_bundled_knowledge_lists_its_sources() -> None:
    sources = kn.knowledge_sources()
    assert any(s["repo"] == "lmarena/arena-catalog" for s in sources)
    assert all(s["date"] for s in sources)
