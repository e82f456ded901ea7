"""What a model's name says: the family key matching uses, the parameter count and the kind.

Pure functions of a name, reading no file. `knowledge_index` places a family key among the
leaderboard families with them; `knowledge` joins the figures. For example
``meta-llama/Llama-3.3-70B-Instruct-Turbo-Free`` is the family key
``llama-3.3-70b-instruct``, 70B parameters, an instruct model.
"""

from __future__ import annotations

import math
import re

from neoclone_core.model_names import not_chat_word

# Kind flags, as found in names.
INSTRUCT = "instruct"
BASE = "base"
ROLEPLAY = "roleplay"
DISTILLED = "distilled"
PREVIEW = "preview"
CODER = "coder"
REASONING = "reasoning"
VISION = "vision"
NOT_CHAT = "not-chat"

_DROP_TAGS = frozenset({"free", "latest", "beta", "extended", "nitro", "floor", "online"})
_PREFIXES = (
    (re.compile(r"^meta-(?=llama)"), ""),
    (re.compile(r"^nvidia-(?=llama)"), ""),
    (re.compile(r"^(cohere|ai21|models)-"), ""),
    (re.compile(r"(llama|gemma)(\d)"), r"\1-\2"),
    (re.compile(r"(?<![a-z])qwen-(\d\.\d|\d)(?=-|$)"), r"qwen\1"),
)
_SPACES = re.compile(r"[\s_]+")
_PUNCTUATION = re.compile(r"[(),]")
_DASHES = re.compile(r"-{2,}")
_ISO_DATE = re.compile(r"-(20\d\d)-(\d\d)-(\d\d)(?=-|$)")
_SUFFIXES = re.compile(r"-(fp8|bf16|fp16|int4|int8|awq|gguf|free|hf|latest)$")
_TRAILING_DATE = re.compile(r"-(\d{8}|\d{4}|\d\d-20\d\d|\d\d-\d\d)$")
_CONTEXT = re.compile(r"-\d+k(?=-|$)")
_INSTRUCT_TOKENS = re.compile(r"-(instruct|it|chat)(?=-|$)")
_REVISION = re.compile(r"-(00\d|v0\.\d)$")  # Gemini's -001, Mistral's -v0.1
_RELEASE = re.compile(r"-(exp|experimental|preview)(-\d\d-\d\d|-\d{4})?$")


def family_key(name: str) -> str:
    """The normalised name matching uses: lower case, no org prefix, no provider tags.

    ``meta-llama/Llama-3.3-70B-Instruct-Turbo-Free`` and ``Llama-3.3-70B-Instruct`` both give
    ``llama-3.3-70b-instruct``; dates become ``-YYYYMMDD``; quantisation suffixes go, since
    they name a serving choice, not another model.
    """
    s = name.strip().lower().rsplit("/", 1)[-1]
    if ":" in s:
        head, tag = s.split(":", 1)
        s = head if tag in _DROP_TAGS else f"{head}-{tag}"
    s = _SPACES.sub("-", s)
    s = _PUNCTUATION.sub("", s)
    for pattern, replacement in _PREFIXES:
        s = pattern.sub(replacement, s)
    s = _ISO_DATE.sub(r"-\1\2\3", s)
    s = s.replace("-instruct-turbo", "-instruct")
    while (stripped := _SUFFIXES.sub("", s)) != s:
        s = stripped
    return _DASHES.sub("-", s).strip("-")


def loose_key(key: str) -> str:
    """The key without context-window tokens, instruct markers and ``-001`` revisions."""
    key = _CONTEXT.sub("", key)
    key = _INSTRUCT_TOKENS.sub("", key)
    return _REVISION.sub("", key)


def release_key(key: str) -> str:
    """The key of the release an ``-exp`` / ``-preview`` name precedes (itself otherwise)."""
    return _RELEASE.sub("", key)


def trailing_date(key: str) -> tuple[str, str] | None:
    """(the name before its trailing date token, the token), or None without one."""
    m = _TRAILING_DATE.search(key)
    return None if m is None else (key[: m.start()], m[1])


def size_stem(key: str) -> str | None:
    """The name with its size token blanked: ``qwen3-8b`` and ``qwen3-32b`` share ``qwen3-#``."""
    stem, count = _TOTAL.subn("#", key, count=1)
    return stem if count else None


def date_order(token: str) -> int:
    """A sortable number for a trailing date token, so "newest" means the latest release.

    ``20250414`` is a date; ``2503`` (Mistral's YYMM) and ``0324`` (DeepSeek's MMDD) are told
    apart by whether the first two digits can be a recent year.
    """
    digits = token.replace("-", "")
    if len(digits) == 8:
        return int(digits)
    if len(digits) == 6:  # MM-YYYY
        return int(digits[2:] + digits[:2]) * 100
    first, last = int(digits[:2]), int(digits[2:])
    if first >= 23 and 1 <= last <= 12:
        return (2000 + first) * 10000 + last * 100
    return first * 100 + last


_MOE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)b-a(\d+(?:\.\d+)?)b(?![a-z])")
_EXPERTS = re.compile(r"(?<![\d.])(\d+)x(\d+(?:\.\d+)?)b(?![a-z])")
_ACTIVE_EXPERTS = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)b-\d+e(?![a-z])")
_ACTIVE_ONLY = re.compile(r"(?<![a-z\d.])[ae](\d+(?:\.\d+)?)b(?![a-z])")
_TOTAL = re.compile(r"(?<![a-z\d.])(\d+(?:\.\d+)?)b(?![a-z])")
_MILLIONS = re.compile(r"(?<![a-z\d.])(\d+)m(?![a-z])")

# Sizes of well-known models whose names do not state them, from their model cards.
# Only used where the name is silent; (total, active) in billions.
_KNOWN_SIZES: tuple[tuple[re.Pattern[str], float, float | None], ...] = tuple(
    (re.compile(pattern), total, active)
    for pattern, total, active in (
        (r"^(deepseek-(v3|r1|chat|prover-v2)|mai-ds-r1|deepseek-r1t)(?!.*distill)", 671, 37),
        (r"^kimi-k2", 1000, 32),
        (r"^llama-4-maverick", 400, 17),
        (r"^llama-4-scout", 109, 17),
        (r"^gpt-oss-120b", 117, 5.1),
        (r"^gpt-oss-20b", 21, 3.6),
        (r"^mistral-nemo", 12, None),
        (r"^devstral-small", 24, None),
        (r"^mistral-small-(2503|2506|2501)", 24, None),
        (r"^codestral-2501", 22, None),
        (r"^mistral-large-24", 123, None),
        (r"^phi-4-mini", 3.8, None),
        (r"^phi-4-multimodal", 5.6, None),
        (r"^phi-4(-reasoning.*)?$", 14, None),
        (r"^phi-3(\.5)?-mini", 3.8, None),
        (r"^phi-3-small", 7, None),
        (r"^phi-3-medium", 14, None),
        (r"^phi-3\.5-moe", 42, 6.6),
        (r"^phi-3\.5-vision", 4.2, None),
        (r"^command-r-plus", 104, None),
        (r"^command-r(-08-2024)?$", 35, None),
        (r"^command-a", 111, None),
        (r"^reka-flash-3", 21, None),
    )
)


def parse_params(key: str) -> tuple[float | None, float | None]:
    """(total, active) parameters in billions as the name states them, else as the model
    card says for the few well-known models whose names are silent (`_KNOWN_SIZES`)."""
    total, active = params_from_name(key)
    if total is None:
        for pattern, known_total, known_active in _KNOWN_SIZES:
            if pattern.search(key):
                return float(known_total), known_active if active is None else active
    return total, active


def params_from_name(key: str) -> tuple[float | None, float | None]:
    """(total, active) parameters in billions as the name states them.

    ``70b`` is (70, None); ``235b-a22b`` is (235, 22); ``8x7b`` is (56, None); ``a3b`` and
    Gemma's ``e4b`` are (None, 3) and (None, 4); Llama 4's ``17b-128e`` is (None, 17).
    """
    if m := _MOE.search(key):
        return float(m[1]), float(m[2])
    if m := _EXPERTS.search(key):
        return float(m[1]) * float(m[2]), None
    active: float | None = None
    if (m := _ACTIVE_EXPERTS.search(key)) or (m := _ACTIVE_ONLY.search(key)):
        active = float(m[1])
    total: float | None = None
    if active is None and (m := _TOTAL.search(key)):
        total = float(m[1])
    elif active is None and (m := _MILLIONS.search(key)):
        total = float(m[1]) / 1000
    return total, active


def effective_params(total: float | None, active: float | None) -> float | None:
    """One size for the prior: a mixture of experts counts as the geometric mean of its
    total and active parameters, a common rule of thumb for its quality."""
    if total and active:
        return math.sqrt(total * active)
    return total or active


_EXPLICIT_BASE = re.compile(r"(^|-)base(-|$)")
_ROLEPLAY = re.compile(
    r"(^|-)(rp|rpr|rpmax|roleplay)(-|$)|euryale|lumimaid|magnum|anubis|skyfall|rocinante"
    r"|unslop|mythomax|sorcerer|inferor|eva-(llama|qwen)|noromaid|stheno|fimbulvetr"
)
_DISTILLED = re.compile(r"distill")
_PREVIEW = re.compile(r"(^|-)(preview|exp|experimental|alpha)(-|$)")
_CODER = re.compile(r"coder|codestral|devstral|codellama|starcoder|(^|-)code(-|$)|codex")
_REASONING = re.compile(
    r"thinking|(^|-)think(-|$)|(^|-)r1(-|$)|-r1t|qwq|reasoning|reasoner|(^|-)z1(-|$)"
    r"|^o\d(-|$)|magistral|gpt-oss|prover|(^|-)rpr(-|$)"
)
_VISION = re.compile(r"vision|(^|-)vl(-|$)|pixtral|internvl|multimodal|llava|-\d(\.\d)?v$")
_INSTRUCT = re.compile(r"(^|-)(instruct|it|chat|versatile|instant)(-|$)")


def kinds_of(key: str, display_name: str = "") -> frozenset[str]:
    """The kind flags a name gives; ``(base)`` in the display name also marks a base model.

    A base model is one its name or display name says is (``deepseek-v3-base``,
    OpenRouter's "Llama 3.1 405B (base)"). A bare sized name alone tells nothing: it is
    the base checkpoint at one provider and the instruct model at another (Cerebras's
    ``llama-3.3-70b``), so the provider's own words decide.
    """
    kinds: set[str] = {NOT_CHAT} if not_chat_word(key) else set()
    if _EXPLICIT_BASE.search(key) or "(base)" in display_name.lower():
        kinds.add(BASE)
    elif _INSTRUCT.search(key):
        kinds.add(INSTRUCT)
    for flag, pattern in (
        (ROLEPLAY, _ROLEPLAY),
        (DISTILLED, _DISTILLED),
        (PREVIEW, _PREVIEW),
        (CODER, _CODER),
        (REASONING, _REASONING),
        (VISION, _VISION),
    ):
        if pattern.search(key):
            kinds.add(flag)
    return frozenset(kinds)


def is_chat_model(model_id: str, name: str = "") -> bool:
    """Whether a model answers a chat request, by its name alone (no file is read).

    Base models (``deepseek-v3-base``, "Llama 3.1 405B (base)") continue text rather than answer;
    speech, music, image-generation, embedding and guard models answer no conversation.
    """
    return not kinds_of(family_key(model_id), name) & {BASE, NOT_CHAT}


# Provider names for leaderboard models that no general rule finds: catalog key -> family.
