"""What a model's name and outputs say of it, the same way at every provider: whether
it is made for code or reasoning, and whether it is a chat model at all. Provider
plugins reach these through `neoclone_core.provider_kit`."""

from __future__ import annotations

import re
from collections.abc import Iterable

from neoclone_core.models import Capability

__all__ = [
    "chat_capabilities",
    "is_code_model",
    "is_reasoning_model",
    "not_chat_by_name",
    "not_chat_by_output",
    "not_chat_word",
]


# -- what a name says ------------------------------------------------------------------

# Most catalogs do not say what a model is made for; its name does, the same way at
# every provider (Qwen2.5-Coder, Codestral, Devstral, CodeLlama, StarCoder, DeepSeek-R1).
_CODE_MODEL = re.compile(
    r"(?<!\bde)(?<!\ben)coder|codestral|devstral|codex|codellama|codegemma|codeqwen|\bcode\b",
    re.IGNORECASE,
)
_REASONING_MODEL = re.compile(r"(?:^|[-_/ ])r1(?:$|[-_ :])|qwq|thinking|reason", re.IGNORECASE)


def is_code_model(*names: str) -> bool:
    """Whether any of `names` (an id, a display name, a family) marks a model made for
    code: `...-coder` (OpenCoder too; not a decoder or an encoder), codestral, devstral, codex,
    codellama, codegemma, a word `code`."""
    return any(_CODE_MODEL.search(name) for name in names)


def is_reasoning_model(*names: str) -> bool:
    """Whether any of `names` marks a reasoning model: an `r1` part, qwq, thinking,
    reason(ing)."""
    return any(_REASONING_MODEL.search(name) for name in names)


def chat_capabilities(*names: str) -> set[Capability]:
    """Text and streaming, plus code and reasoning when `names` say so: what a chat
    model of a list that names no capabilities can be said to have."""
    found = {Capability.TEXT, Capability.STREAMING}
    if is_code_model(*names):
        found.add(Capability.CODE)
    if is_reasoning_model(*names):
        found.add(Capability.REASONING)
    return found


# -- what is a chat model --------------------------------------------------------------

# A model is free only when it is a chat model: one that answers text with text and
# nothing else. Lists that give no type or modality say what a model is by its name, the
# same way at every provider (BGE-M3, nv-embedqa, whisper-large-v3, llama-guard, FLUX).
_NOT_CHAT_WORD = re.compile(
    r"embed|\bbge\b|\be5\b|rerank|retriev|reward|whisper|\btts\b|speech|transcri|voxtral"
    r"|guard|safety|\bclip\b|flux|stable-diffusion|sdxl|imagen|lyria|parakeet|\bocr\b"
    r"|detector|moderation|paligemma|playai|\bveo\b|image-generation|dall-e|gpt-image"
    r"|bert\b|orpheus|musicgen|native-audio",
    re.IGNORECASE,
)
_BASE_WORD = re.compile(r"\bbase\b", re.IGNORECASE)


def not_chat_word(name: str) -> str | None:
    """The word of `name` that marks a model answering no conversation (an embedding,
    reranker, speech, music, image or safety-classifier model), None when none does.
    Base models are the other kind of non-chat model; `not_chat_by_name` finds both."""
    found = _NOT_CHAT_WORD.search(name)
    return found.group(0) if found else None


def not_chat_by_name(*names: str) -> str | None:
    """Why a model named `names` is no chat model (an embedding, reranker, speech,
    image, safety-classifier or base model), None when nothing in its names says so."""
    for name in names:
        found = not_chat_word(name) or ((m := _BASE_WORD.search(name)) and m.group(0))
        if found:
            return f"not a chat model ({found.strip('-').lower()} in {name!r})"
    return None


def not_chat_by_output(outputs: Iterable[str]) -> str | None:
    """Why a model whose output modalities are `outputs` is no chat model, None when
    it outputs text and only text. A model that also outputs audio or images (a music
    model such as Lyria: "text+audio") is a generator, whatever its price."""
    found = {o.strip().lower() for o in outputs}
    if found == {"text"}:
        return None
    if not found or "text" not in found:
        return "no text output"
    return f"outputs {'+'.join(sorted(found))}: not a chat model"
