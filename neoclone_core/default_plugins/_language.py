"""Which language a request is written in, well enough to say "multilingual".

Counting common short words is crude but deterministic, instant and right for the
requests people type; a request mixing languages goes to the one with most words, so an
English request quoting a French sentence stays English.
"""

from __future__ import annotations

import re
from collections import Counter

NAMES = {
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "de": "German",
    "pt": "Portuguese",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and is are to of in for what how my this with you it can please write me "
        "do does why which an be on that from your have has"
    ),
    "fr": _words(
        "le la les des est une un et pour que qui dans sur avec ce cette je tu vous mon ma "
        "quel quelle bonjour comment ça fais écris peux moi du au il elle pas ces voici "
        "quand fera chaque ci une corrige rédige explique donne combien montre traduis"
    ),
    "es": _words(
        "el los las es una y para qué en con este esta mi tengo cómo cuál por del hola "
        "dame escribe hay al lo le sobre mañana estos estas dime cuánto dónde un explica "
        "muestra traduce"
    ),
    "de": _words(
        "der die das ist und ein eine für mit auf nicht ich du wie was mein diese diesem "
        "im zu hallo bitte wer bist sind schreibe gib mir einen den dem von ins wird "
        "kannst erkläre zeige übersetze fasse"
    ),
    "pt": _words(
        "o os é um uma e para em com este esta nesta meu minha tem como qual você não do "
        "da no na olá me dá escreva são isso seu sua quanto quanta quais onde explique "
        "mostre traduza resuma faça diga"
    ),
}
# Words no other of these languages uses: one is enough to decide a short request.
_SURE_WORDS: dict[str, frozenset[str]] = {
    "fr": _words("combien pourquoi bonjour merci aujourd hui"),
    "es": _words("cuánto cuántos cuántas cuál hola gracias dónde"),
    "de": _words("warum bitte danke hallo wieviel kannst"),
    "pt": _words("obrigado obrigada você olá quantos quantas"),
}
_DISTINCTIVE = {"es": "ñ¿¡", "de": "ßäöü", "pt": "ãõ", "fr": "èùœëâî"}
_IBERIAN_ACCENTS = "áíóú"  # Spanish or Portuguese, not French or German
_ELISION = re.compile(r"\b[cdjlmnst]'\w", re.IGNORECASE)  # French: l'image, qu'il, m'expliquer
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_LATIN_WORD = re.compile(r"[A-Za-zÀ-ÿ]+")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_SAMPLE = 2_000  # characters: the language shows in the first sentences


def detect_language(text: str) -> str:
    """An ISO 639-1 code; "en" when nothing else is clearly more likely."""
    sample = text[:_SAMPLE]
    if cjk := _cjk_language(sample):
        return cjk
    scores = Counter(_word_votes(sample))
    lowered = sample.lower()
    for language, letters in _DISTINCTIVE.items():
        if any(letter in lowered for letter in letters):
            scores[language] += 2
    if any(letter in lowered for letter in _IBERIAN_ACCENTS):
        scores.update(("es", "pt"))
    if _ELISION.search(sample):
        scores["fr"] += 2
    best, score = max(scores.items(), key=lambda item: item[1], default=("en", 0))
    return best if best != "en" and score >= 2 and score > scores["en"] else "en"


def _cjk_language(sample: str) -> str | None:
    """Chinese, Japanese or Korean when their characters outnumber the Latin words (a
    Chinese character carries about as much as an English word)."""
    if len(_KANA.findall(sample)) >= 2:
        return "ja"
    if len(_HANGUL.findall(sample)) >= 2:
        return "ko"
    han = len(_HAN.findall(sample))
    return "zh" if han >= 2 and han >= len(_LATIN_WORD.findall(sample)) else None


def _word_votes(sample: str) -> list[str]:
    """One vote per language for each stopword of the sample, two for a word only that
    language uses."""
    votes: list[str] = []
    for word in _WORD.findall(sample.lower()):
        votes.extend(lang for lang, words in _STOPWORDS.items() if word in words)
        votes.extend(2 * [lang for lang, words in _SURE_WORDS.items() if word in words])
    return votes
