"""The request templates of the built translation requests (build_data.py `translations`):
a few ways to ask for a translation in each of the six languages, and the languages' names
in each of them."""

# ruff: noqa: RUF001
from __future__ import annotations

from neoclone_core.default_plugins._language import NAMES

SIX = ("en", "fr", "es", "de", "pt", "zh")
LANGUAGE_NAMES = {
    "en": {code: NAMES[code] for code in SIX},  # the analyser's own English names
    "fr": {
        "en": "anglais",
        "fr": "français",
        "es": "espagnol",
        "de": "allemand",
        "pt": "portugais",
        "zh": "chinois",
    },
    "es": {
        "en": "inglés",
        "fr": "francés",
        "es": "español",
        "de": "alemán",
        "pt": "portugués",
        "zh": "chino",
    },
    "de": {
        "en": "Englisch",
        "fr": "Französisch",
        "es": "Spanisch",
        "de": "Deutsch",
        "pt": "Portugiesisch",
        "zh": "Chinesisch",
    },
    "pt": {
        "en": "inglês",
        "fr": "francês",
        "es": "espanhol",
        "de": "alemão",
        "pt": "português",
        "zh": "chinês",
    },
    "zh": {
        "en": "英语",
        "fr": "法语",
        "es": "西班牙语",
        "de": "德语",
        "pt": "葡萄牙语",
        "zh": "中文",
    },
}
TRANSLATE_TEMPLATES = {
    "en": (
        "Translate this into {L}: {t}",
        'How do you say "{t}" in {L}?',
        "Please translate the following text to {L}:\n{t}",
        "{t}\n\nTranslate the above into {L}.",
        "Can you give me the {L} translation of: {t}",
    ),
    "fr": (
        "Traduis en {L} : {t}",
        "Peux-tu traduire ce texte en {L} ?\n{t}",
        "Comment dit-on « {t} » en {L} ?",
        "Traduisez la phrase suivante en {L} : {t}",
    ),
    "es": (
        "Traduce al {L}: {t}",
        '¿Cómo se dice "{t}" en {L}?',
        "Por favor, traduce este texto al {L}:\n{t}",
        "{t}\n\nTradúcelo al {L}.",
    ),
    "de": (
        "Übersetze das bitte auf {L}: {t}",
        "Wie sagt man „{t}“ auf {L}?",
        "Übersetze den folgenden Text auf {L}:\n{t}",
        "{t}\n\nBitte ins {L}e übersetzen.",
    ),
    "pt": (
        "Traduza para o {L}: {t}",
        'Como se diz "{t}" em {L}?',
        "Por favor, traduza este texto para o {L}:\n{t}",
        "{t}\n\nTraduza isso para o {L}.",
    ),
    "zh": (
        "把这句话翻译成{L}：{t}",
        "请将以下内容翻译成{L}：\n{t}",
        "“{t}”用{L}怎么说？",
        "{t}\n\n请翻译成{L}。",
    ),
}
