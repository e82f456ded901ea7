"""Reading the config file's tables and values: every error names the file and the dotted
key, suggests a close match for an unknown key, and refuses an API key pasted into the
file without ever echoing it back (`config` builds `Settings` with these)."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import NoReturn, TypeVar
from urllib.parse import parse_qsl, urlsplit

import attrs

from neoclone_core.errors import ConfigError
from neoclone_core.redaction import redact

T = TypeVar("T")


# --- secrets ----------------------------------------------------------------------------

_SECRET_KEY = re.compile(r"(?i)(?:^|[_-])(?:api[_-]?key|key|token|secret|password|passwd)$")


def reject_secret_keys(file: Path, data: object, path: tuple[str | int, ...]) -> None:
    """Refuse any key that looks like it holds a credential, without showing its value."""
    children: Iterable[tuple[str | int, object]] = ()
    if isinstance(data, dict):
        children = data.items()
    elif isinstance(data, list):
        children = enumerate(data)
    for key, value in children:
        where = (*path, key)
        if isinstance(key, str) and _SECRET_KEY.search(key):
            _fail_secret(file, where)
        reject_secret_keys(file, value, where)


def _fail_secret(file: Path, where: tuple[str | int, ...]) -> NoReturn:
    inside = where[:2] if len(where) > 2 and where[0] == "providers" else ("providers", "<name>")
    msg = message(
        file,
        f"{dotted(where)} is not allowed: API keys are read only from environment "
        f'variables, never from the config file. Remove it and set api_key_env = "NAME" '
        f"in [{dotted(inside)}] to name the variable that holds the key.",
    )
    raise ConfigError(msg)


# --- tables and values ------------------------------------------------------------------


class Invalid(Exception):
    """A value is wrong; the text says how, and `Table.get` adds the file and key."""


@attrs.frozen
class Table:
    """A TOML table being read, with the file and key path that error messages name."""

    file: Path
    path: tuple[str | int, ...]
    data: Mapping[str, object]

    def expect_keys(self, known: Collection[str]) -> None:
        for key in self.data:
            if key not in known:
                self._fail_unknown(key, known)

    def get(self, key: str, check: Callable[[object], T], default: T) -> T:
        if key not in self.data:
            return default
        try:
            return check(self.data[key])
        except Invalid as exc:
            problem = str(exc)
        self.fail(key, problem)

    def table(self, key: str) -> Table | None:
        """The sub-table `key`, or None when the file has no such key."""
        return self.child(key) if key in self.data else None

    def child(self, key: str) -> Table:
        value = self.data[key]
        if not isinstance(value, dict):
            self.fail(key, f"must be a table, got {shown(value)}")
        return Table(self.file, (*self.path, key), value)

    def fail(self, key: str, problem: str) -> NoReturn:
        msg = message(self.file, f"{dotted((*self.path, key))} {problem}")
        raise ConfigError(msg)

    def _fail_unknown(self, key: str, known: Collection[str]) -> NoReturn:
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        listing = ", ".join(sorted(known))
        msg = message(
            self.file, f"unknown key '{dotted((*self.path, key))}' ({hint}known: {listing})"
        )
        raise ConfigError(msg)


def positive(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        msg = f"must be a number > 0, got {shown(value)}"
        raise Invalid(msg)
    if not math.isfinite(value):
        msg = f"must be a finite number > 0, got {shown(value)}"
        raise Invalid(msg)
    return float(value)


def count(value: object) -> int:
    """A whole number >= 1 (a request or token budget)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"must be a whole number >= 1, got {shown(value)}"
        raise Invalid(msg)
    return value


def share(value: object) -> float:
    """A share in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        msg = f"must be a number from 0 up to (not including) 1, got {shown(value)}"
        raise Invalid(msg)
    return float(value)


def flag(value: object) -> bool:
    if not isinstance(value, bool):
        msg = f"must be true or false, got {shown(value)}"
        raise Invalid(msg)
    return value


def text_value(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        msg = f"must be a non-empty string, got {shown(value)}"
        raise Invalid(msg)
    return value


def names(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        msg = f"must be a list of strings, got {shown(value)}"
        raise Invalid(msg)
    return tuple(value)


_KEY_QUERY = re.compile(
    r"(?i)^(?:key|api[_-]?key|apikey|token|access[_-]?token|secret|password|passwd|sig)$"
)


def url(value: object) -> str:
    """An http(s) URL with a host, and no credentials in it: a user and password (httpx
    would send them as `Authorization: Basic`, replacing the configured key) or a
    key-like query parameter would sit in a file that is shared and committed. Neither
    is echoed back; a malformed URL (a bad IPv6 host, a port out of range) is refused."""
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
        _ = parts.port if parts is not None else None  # ValueError when out of range
    except ValueError:  # an unbalanced "[" in the host, a port out of range
        msg = f"is a malformed URL (its host or port cannot be read), got {shown(value)}"
        raise Invalid(msg) from None
    if parts is not None and (parts.username is not None or parts.password is not None):
        msg = "must not hold a user or password: keys come from the environment variable"
        raise Invalid(msg)
    if parts is not None and any(_KEY_QUERY.match(name) for name, _ in parse_qsl(parts.query)):
        msg = "must not hold a key in its query: keys come from the environment variable"
        raise Invalid(msg)
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        msg = f"must be an http(s) URL with a host, got {shown(value)}"
        raise Invalid(msg)
    return str(value)


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def store_url(value: object) -> str:
    # A password in the URL would sit in a file that is shared and committed: refused,
    # and the value never shown (the store plugin reads the password from the
    # environment instead).
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
    except ValueError:  # an unbalanced "[" in the host
        parts = None
    secret_query = parts is not None and any(
        name.lower() in ("password", "passwd", "pass") for name, _ in parse_qsl(parts.query)
    )
    if parts is not None and (parts.password is not None or secret_query):
        msg = (
            "must not hold a password: set it in the environment variable the store "
            "plugin documents for it"
        )
        raise Invalid(msg)
    if parts is None or not _SCHEME.fullmatch(parts.scheme) or not (parts.netloc or parts.path):
        msg = f'must be a store URL such as "redis://127.0.0.1:6379/0", got {shown(value)}'
        raise Invalid(msg)
    return str(value)


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def env_name(value: object) -> str:
    # Never show the value: a wrong one is most likely the key itself.
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
        msg = (
            "must be the NAME of the environment variable that holds the key "
            '(like "MY_OPENROUTER_KEY"), not the key itself'
        )
        raise Invalid(msg)
    return value


def env_names(value: object) -> tuple[str, ...]:
    """One variable's name, or a list of them (a provider given several keys), each
    checked as `env_name` checks it, without repeats."""
    if isinstance(value, list):
        if not value:
            msg = 'must name at least one variable (like ["GROQ_API_KEY", "GROQ_API_KEY_2"])'
            raise Invalid(msg)
        return unique(env_name(item) for item in value)
    return (env_name(value),)


# --- formatting -------------------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SHOWN_LIMIT = 40


def message(file: Path, text: str) -> str:
    """`file: text`, scrubbed of anything shaped like an API key."""
    return redact(f"{file}: {text}")


def dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            key = part if _BARE_KEY.fullmatch(part) else f'"{part}"'
            out += f".{key}" if out else key
    return out


def shown(value: object) -> str:
    if isinstance(value, dict):
        return "a table"
    text = redact(repr(value))
    return text if len(text) <= _SHOWN_LIMIT else text[: _SHOWN_LIMIT - 3] + "..."


def unique(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for name in names if name))
