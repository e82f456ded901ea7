"""Loading neoclone's TOML configuration into frozen `Settings`.

Every stage of neoclone (discovery, the store, the router, the CLI) reads the same few
options, so they are read and checked once, here. A mistake in the file stops the
program with one message naming the file and the key, instead of surfacing later as a
strange timeout or a provider that never answers. API keys are deliberately not
settings: the file only names the environment variable that holds a key, and a key
pasted into the file is refused without ever being echoed back.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import sys
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import NoReturn, TypeVar
from urllib.parse import parse_qsl, urlsplit

import attrs
import platformdirs

from neoclone_core._secrets import redact
from neoclone_core.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["CacheSettings", "ProviderSettings", "Settings", "load_settings"]

T = TypeVar("T")

CONFIG_FILENAME = "neoclone.toml"
CONFIG_ENV = "NEOCLONE_CONFIG"
HOME_ENV = "NEOCLONE_HOME"
DISABLE_PLUGINS_ENV = "NEOCLONE_DISABLE_PLUGINS"

DEFAULT_DISCOVERY_TIMEOUT = 30.0
DEFAULT_REQUEST_TIMEOUT = 60.0
_DAY = 86400.0


@attrs.frozen
class ProviderSettings:
    """One provider's overrides; `api_key_env` names a variable, it never holds a key."""

    enabled: bool = True
    base_url: str | None = None
    timeout: float | None = None
    api_key_env: str | None = None
    options: Mapping[str, object] = attrs.field(factory=dict)
    """The provider plugin's own settings (`[providers.<name>.options]`), passed to it
    untouched in `ProviderContext.options`; each plugin documents and checks its own."""


@attrs.frozen
class CacheSettings:
    """How long discovered catalogs stay fresh, and how failing providers back off."""

    ttl_seconds: float = 7 * _DAY
    backoff_base_seconds: float = 60.0
    backoff_cap_seconds: float = 6 * 3600.0


@attrs.frozen
class Settings:
    """Everything neoclone reads from its config file and environment."""

    home: Path
    config_path: Path | None = None
    provider_preference: tuple[str, ...] = ()
    disabled_plugins: tuple[str, ...] = ()
    discovery_timeout: float = DEFAULT_DISCOVERY_TIMEOUT
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    local_fallback: bool = True
    """End every plan with a model that runs on this machine (the `local` provider's),
    so that a request fails only when even that one cannot run."""
    providers: Mapping[str, ProviderSettings] = attrs.field(factory=dict)
    cache: CacheSettings = attrs.field(factory=CacheSettings)
    store: str | None = None
    """Where the engine keeps the state several instances share (breakers, cooldowns,
    statistics): a URL such as `redis://127.0.0.1:6379/0`, opened by the store plugin
    that knows its scheme; None keeps it in the embedded SQLite store."""

    def provider(self, name: str) -> ProviderSettings:
        """The named provider's settings, or the defaults when the file has none."""
        return self.providers.get(name, _DEFAULT_PROVIDER)


_DEFAULT_PROVIDER = ProviderSettings()
_DEFAULT_CACHE = CacheSettings()


def load_settings(
    path: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Read the settings from `path`, `$NEOCLONE_CONFIG` or `./neoclone.toml`, else defaults.

    `$NEOCLONE_HOME` overrides the file's `home`; `$NEOCLONE_DISABLE_PLUGINS` (comma
    separated) adds to its `disabled_plugins`. Raises `ConfigError` naming the file and
    the key for anything invalid.
    """
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    config_path = _find_config(path, env, cwd)
    if config_path is None:
        settings = Settings(home=platformdirs.user_cache_path("neoclone"))
    else:
        settings = _parse(_Table(config_path, (), _read(config_path)))
    return _apply_env(settings, env, cwd)


# --- finding and reading the file -------------------------------------------------------


def _find_config(path: Path | None, env: Mapping[str, str], cwd: Path) -> Path | None:
    if path is not None:
        return cwd / path
    if env.get(CONFIG_ENV):
        named = cwd / Path(env[CONFIG_ENV]).expanduser()
        if not named.exists():
            msg = f"{named}: the config file named by ${CONFIG_ENV} does not exist"
            raise ConfigError(msg)
        return named
    local = cwd / CONFIG_FILENAME
    return local if local.exists() else None


def _read(path: Path) -> dict[str, object]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        msg = f"{path}: cannot read the config file: {exc.strerror or type(exc).__name__}"
        raise ConfigError(msg) from exc
    return _parse_toml(path, _decode(path, data))


def _decode(path: Path, data: bytes) -> str:
    # The errors below are raised outside the `except` blocks on purpose: the parser's
    # exceptions hold the whole document, which may contain a pasted key.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
    msg = f"{path}: the config file is not valid UTF-8 (line {line})"
    raise ConfigError(msg)


def _parse_toml(path: Path, text: str) -> dict[str, object]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem = str(exc)
    msg = _message(path, f"invalid TOML: {problem}")
    raise ConfigError(msg)


def _apply_env(settings: Settings, env: Mapping[str, str], cwd: Path) -> Settings:
    home = cwd / Path(env[HOME_ENV]).expanduser() if env.get(HOME_ENV) else settings.home
    blocked = env.get(DISABLE_PLUGINS_ENV, "").split(",")
    disabled = _unique([*settings.disabled_plugins, *(name.strip() for name in blocked)])
    return attrs.evolve(settings, home=home, disabled_plugins=disabled)


# --- the document -----------------------------------------------------------------------

_TOP_KEYS = (
    "home",
    "provider_preference",
    "disabled_plugins",
    "discovery_timeout",
    "request_timeout",
    "local_fallback",
    "cache",
    "providers",
    "store",
)
_CACHE_KEYS = ("ttl_days", "backoff_base_seconds", "backoff_cap_seconds")
_PROVIDER_KEYS = ("enabled", "base_url", "timeout", "api_key_env", "options")


def _parse(root: _Table) -> Settings:
    _reject_secret_keys(root.file, root.data, ())
    root.expect_keys(_TOP_KEYS)
    home = root.get("home", _text, None)
    return Settings(
        home=platformdirs.user_cache_path("neoclone")
        if home is None
        else root.file.parent / Path(home).expanduser(),
        config_path=root.file,
        provider_preference=_unique(root.get("provider_preference", _names, ())),
        disabled_plugins=_unique(root.get("disabled_plugins", _names, ())),
        discovery_timeout=root.get("discovery_timeout", _positive, DEFAULT_DISCOVERY_TIMEOUT),
        request_timeout=root.get("request_timeout", _positive, DEFAULT_REQUEST_TIMEOUT),
        local_fallback=root.get("local_fallback", _flag, True),
        providers=_providers(root.table("providers")),
        cache=_cache(root.table("cache")),
        store=root.get("store", _store_url, None),
    )


def _cache(table: _Table | None) -> CacheSettings:
    if table is None:
        return _DEFAULT_CACHE
    table.expect_keys(_CACHE_KEYS)
    ttl_days = table.get("ttl_days", _positive, None)
    base = table.get("backoff_base_seconds", _positive, _DEFAULT_CACHE.backoff_base_seconds)
    cap = table.get("backoff_cap_seconds", _positive, _DEFAULT_CACHE.backoff_cap_seconds)
    if cap < base:
        table.fail(
            "backoff_cap_seconds", f"must be >= backoff_base_seconds ({base:g}), got {cap:g}"
        )
    ttl = _DEFAULT_CACHE.ttl_seconds if ttl_days is None else ttl_days * _DAY
    return CacheSettings(ttl_seconds=ttl, backoff_base_seconds=base, backoff_cap_seconds=cap)


def _providers(table: _Table | None) -> dict[str, ProviderSettings]:
    if table is None:
        return {}
    return {name: _provider(table.child(name)) for name in table.data}


def _provider(table: _Table) -> ProviderSettings:
    table.expect_keys(_PROVIDER_KEYS)
    return ProviderSettings(
        enabled=table.get("enabled", _flag, True),
        base_url=table.get("base_url", _url, None),
        timeout=table.get("timeout", _positive, None),
        api_key_env=table.get("api_key_env", _env_name, None),
        options=table.child("options").data if "options" in table.data else {},
    )


# --- secrets ----------------------------------------------------------------------------

_SECRET_KEY = re.compile(r"(?i)(?:^|[_-])(?:api[_-]?key|key|token|secret|password|passwd)$")


def _reject_secret_keys(file: Path, data: object, path: tuple[str | int, ...]) -> None:
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
        _reject_secret_keys(file, value, where)


def _fail_secret(file: Path, where: tuple[str | int, ...]) -> NoReturn:
    inside = where[:2] if len(where) > 2 and where[0] == "providers" else ("providers", "<name>")
    msg = _message(
        file,
        f"{_dotted(where)} is not allowed: API keys are read only from environment "
        f'variables, never from the config file. Remove it and set api_key_env = "NAME" '
        f"in [{_dotted(inside)}] to name the variable that holds the key.",
    )
    raise ConfigError(msg)


# --- tables and values ------------------------------------------------------------------


class _Invalid(Exception):
    """A value is wrong; the text says how, and `_Table.get` adds the file and key."""


@attrs.frozen
class _Table:
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
        except _Invalid as exc:
            problem = str(exc)
        self.fail(key, problem)

    def table(self, key: str) -> _Table | None:
        """The sub-table `key`, or None when the file has no such key."""
        return self.child(key) if key in self.data else None

    def child(self, key: str) -> _Table:
        value = self.data[key]
        if not isinstance(value, dict):
            self.fail(key, f"must be a table, got {_shown(value)}")
        return _Table(self.file, (*self.path, key), value)

    def fail(self, key: str, problem: str) -> NoReturn:
        msg = _message(self.file, f"{_dotted((*self.path, key))} {problem}")
        raise ConfigError(msg)

    def _fail_unknown(self, key: str, known: Collection[str]) -> NoReturn:
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        listing = ", ".join(sorted(known))
        msg = _message(
            self.file, f"unknown key '{_dotted((*self.path, key))}' ({hint}known: {listing})"
        )
        raise ConfigError(msg)


def _positive(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        msg = f"must be a number > 0, got {_shown(value)}"
        raise _Invalid(msg)
    if not math.isfinite(value):
        msg = f"must be a finite number > 0, got {_shown(value)}"
        raise _Invalid(msg)
    return float(value)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        msg = f"must be true or false, got {_shown(value)}"
        raise _Invalid(msg)
    return value


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        msg = f"must be a non-empty string, got {_shown(value)}"
        raise _Invalid(msg)
    return value


def _names(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        msg = f"must be a list of strings, got {_shown(value)}"
        raise _Invalid(msg)
    return tuple(value)


def _url(value: object) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        msg = f"must be an http(s) URL with a host, got {_shown(value)}"
        raise _Invalid(msg)
    return str(value)


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def _store_url(value: object) -> str:
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
            "plugin reads (neoclone-store-redis: NEOCLONE_REDIS_PASSWORD)"
        )
        raise _Invalid(msg)
    if parts is None or not _SCHEME.fullmatch(parts.scheme) or not (parts.netloc or parts.path):
        msg = f'must be a store URL such as "redis://127.0.0.1:6379/0", got {_shown(value)}'
        raise _Invalid(msg)
    return str(value)


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _env_name(value: object) -> str:
    # Never show the value: a wrong one is most likely the key itself.
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
        msg = (
            "must be the NAME of the environment variable that holds the key "
            '(like "MY_OPENROUTER_KEY"), not the key itself'
        )
        raise _Invalid(msg)
    return value


# --- formatting -------------------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SHOWN_LIMIT = 40


def _message(file: Path, text: str) -> str:
    """`file: text`, scrubbed of anything shaped like an API key."""
    return redact(f"{file}: {text}")


def _dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            key = part if _BARE_KEY.fullmatch(part) else f'"{part}"'
            out += f".{key}" if out else key
    return out


def _shown(value: object) -> str:
    if isinstance(value, dict):
        return "a table"
    text = redact(repr(value))
    return text if len(text) <= _SHOWN_LIMIT else text[: _SHOWN_LIMIT - 3] + "..."


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for name in names if name))
