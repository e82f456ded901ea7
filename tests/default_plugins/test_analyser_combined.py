"""The default analyser: strong rules and the learned classifier together, main need
first, every conclusion attributed to the part that drew it, and a difficulty.

Accuracy on sources it never saw is measured by scripts/evaluate_analyser.py, not here:
these tests pin what callers rely on and requests whose reading is not in doubt."""

from __future__ import annotations

import pytest

from neoclone_core import Capability
from neoclone_core.default_plugins.analyser import CATEGORIES, analyse_task


def test_categories_are_from_the_vocabulary_without_repeats() -> None:
    for text in ("Hi there!", "Traduis en anglais : bonjour", "What's in this photo?"):
        categories = analyse_task(text).categories
        assert set(categories) <= set(CATEGORIES)
        assert len(categories) == len(set(categories))


@pytest.mark.parametrize(
    ("text", "main_need"),
    [
        ("Write a short story about a dragon who is afraid of fire.", "creative_writing"),
        ("Write a Python function that reverses a linked list.", "code"),
        ("A farmer has 12 cows, buys 7 and sells 5. How many cows does he have?", "reasoning"),
        ("Who was the first president of the United States?", "knowledge"),
        ("Hello! How are you today?", "chat"),
        ("Translate this email into formal Spanish: see you on Monday.", "translation"),
        ("What's in this image?", "vision"),
        ("Search the web for Framework 13 reviews", "tools"),
    ],
)
def test_the_main_need_comes_first(text: str, main_need: str) -> None:
    assert analyse_task(text).main_need == main_need


def test_an_attached_image_is_the_rules_conclusion_and_required() -> None:
    profile = analyse_task("Describe the attached photo")
    assert profile.categories[0] == "vision"
    assert Capability.VISION in profile.required
    assert any(
        r.startswith("vision (required):") and r.endswith("(rules)") for r in profile.reasons
    )


def test_the_learned_labels_say_so_with_their_probability() -> None:
    profile = analyse_task("Write a short story about a dragon who is afraid of fire.")
    main = "creative_writing: the main kind of task (learned, p="
    assert any(reason.startswith(main) for reason in profile.reasons)


def test_small_talk_is_chat_and_needs_nothing() -> None:
    profile = analyse_task("Hi! How are you doing today?")
    assert profile.categories == ("chat",)
    assert (profile.required, profile.preferred) == (frozenset(), frozenset())


def test_the_language_is_named_after_the_needs() -> None:
    profile = analyse_task("Écris un poème sur la mer.")
    assert profile.categories[-1] == "multilingual"
    assert "multilingual: written in French (rules)" in profile.reasons


def test_a_long_document_adds_long_context_after_the_need() -> None:
    profile = analyse_task("Summarise this 200-page document")
    assert "long_context" in profile.categories
    assert profile.main_need != "long_context"
    assert profile.min_context >= 130_000


def test_code_the_rules_see_is_required_whatever_the_classifier_thinks() -> None:
    trace = "Traceback (most recent call last):\n  File 'app.py', line 3\nKeyError: 'port'"
    profile = analyse_task(trace)
    assert Capability.CODE in profile.required
    assert "code" in profile.categories


def test_code_the_classifier_sees_is_only_preferred() -> None:
    profile = analyse_task("¿Cuál es la diferencia entre un proceso y un hilo en Java?")
    assert Capability.CODE not in profile.required


def test_streaming_stays_a_rule() -> None:
    assert analyse_task("Can you stream your response? Write a poem.").wants_streaming


@pytest.mark.parametrize(
    ("text", "band"),
    [
        ("What is 2 + 2?", "easy"),
        ("Hi! How are you?", "easy"),
        ("find the general solution of dy/dx = 3(y - x)/(y + x)", "hard"),
        ("write a simple version control system in C++", "hard"),
    ],
)
def test_difficulty_is_a_number_with_its_reason(text: str, band: str) -> None:
    profile = analyse_task(text)
    assert profile.difficulty is not None
    assert 0.0 <= profile.difficulty <= 1.0
    assert profile.reasons[-1].startswith(f"difficulty {profile.difficulty:.2f}, {band}:")


def test_difficulty_comes_from_the_learned_head_and_says_so() -> None:
    profile = analyse_task("Let p(x) be a polynomial of degree 5 with p(n) = n for n = 1..6.")
    assert "learned" in profile.reasons[-1]


def test_a_long_multi_part_technical_request_is_at_least_moderate() -> None:
    parts = "\n".join(f"{i}. handle case {i} of the parser and test it" for i in range(1, 6))
    text = f"Write a Python module that parses log files with these requirements:\n{parts}"
    profile = analyse_task(text)
    assert profile.difficulty is not None and profile.difficulty >= 0.5


def test_a_long_document_is_read_from_its_head_and_tail() -> None:
    document = "Summarise this report.\n" + "The committee met. " * 6_000 + "Thanks."
    profile = analyse_task(document)
    assert "extraction: asks for a summary ('Summarise') (rules)" in profile.reasons
    assert "long_context" in profile.categories


def test_evidence_is_quoted_as_written_though_matched_in_lower_case() -> None:
    profile = analyse_task("Please WRITE A POEM about the sea.")
    assert any("'WRITE A POEM'" in r or "'POEM'" in r for r in profile.reasons)


def test_the_analysis_is_deterministic() -> None:
    texts = ["Résume ce texte : le conseil a voté.", "用Python写一个快速排序算法。", "hi"]
    assert [analyse_task(t) for t in texts] == [analyse_task(t) for t in texts]
