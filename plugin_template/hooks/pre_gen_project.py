"""Refuse answers that would render a plugin that cannot install or load.

cookiecutter runs this before writing any file, with the answers substituted below, so a
mistake is one message now instead of a broken package later: a provider id that cannot
be an entry-point name or a model id prefix, a package or class name that is no Python
identifier, a variable name no shell can set, a base URL without a scheme.
"""

from __future__ import annotations

import re
import sys

ANSWERS = {
    "provider_name": "{{ cookiecutter.provider_name }}",
    "base_url": "{{ cookiecutter.base_url }}",
    "api_key_env": "{{ cookiecutter.api_key_env }}",
    "package_name": "{{ cookiecutter.package_name }}",
    "class_name": "{{ cookiecutter.class_name }}",
}

RULES = {
    "provider_name": (r"[a-z][a-z0-9]*(-[a-z0-9]+)*", "lower-case letters, digits and dashes"),
    "base_url": (r"https?://[^\s/]+(/\S*)?", "an http:// or https:// URL"),
    "api_key_env": (r"[A-Z_][A-Z0-9_]*", "an upper-case environment variable name"),
    "package_name": (r"[a-z_][a-z0-9_]*", "a lower-case Python identifier"),
    "class_name": (r"[A-Za-z_][A-Za-z0-9_]*", "a Python identifier"),
}


def problems() -> list[str]:
    """One line per answer that breaks its rule."""
    return [
        f"{key} = {ANSWERS[key]!r} must be {meaning}"
        for key, (pattern, meaning) in RULES.items()
        if not re.fullmatch(pattern, ANSWERS[key])
    ]


if __name__ == "__main__":
    found = problems()
    for line in found:
        print(f"error: {line}", file=sys.stderr)
    sys.exit(1 if found else 0)
