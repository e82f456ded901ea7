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
import os
import sys
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TypeVar

import attrs
import platformdirs

from neoclone_core.config_quota import DEFAULT_QUOTA, QuotaSettings, read_quota_table
from neoclone_core.config_values import (
    Table,
    env_names,
    flag,
    message,
    names,
    positive,
    reject_secret_keys,
    store_url,
    text_value,
    unique,
    url,
)
from neoclone_core.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["CacheSettings", "ProviderSettings", "QuotaSettings", "Settings", "load_settings"]

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
    more_key_envs: tuple[str, ...] = ()
    """Further variables holding more keys of the same provider (`api_key_env = [...]`
    in the config): each key has its own quota, and a request goes to one with some left."""
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
    exclude_training_on_prompts: bool = False
    """Leave out the providers whose free tier uses prompts for training (their
    `FreeTier.trains_on_prompts`): they are not scanned and their models not listed."""
    local_fallback: bool = True
    """End every plan with a model that runs on this machine (the `local` provider's),
    so that a request fails only when even that one cannot run."""
    providers: Mapping[str, ProviderSettings] = attrs.field(factory=dict)
    cache: CacheSettings = attrs.field(factory=CacheSettings)
    store: str | None = None
    """Where the engine keeps the state several instances share (breakers, cooldowns,
    statistics): a URL such as `redis://127.0.0.1:6379/0`, opened by the store plugin
    that knows its scheme; None keeps it in the embedded SQLite store."""
    quota: QuotaSettings = DEFAULT_QUOTA
    """Budgets below the free tiers' limits, per provider and per model (`[quota]`)."""

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
        settings = _parse(Table(config_path, (), _read(config_path)))
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
    msg = message(path, f"invalid TOML: {problem}")
    raise ConfigError(msg)


def _apply_env(settings: Settings, env: Mapping[str, str], cwd: Path) -> Settings:
    home = cwd / Path(env[HOME_ENV]).expanduser() if env.get(HOME_ENV) else settings.home
    disabled = unique([*settings.disabled_plugins, *disabled_by_env(env)])
    return attrs.evolve(settings, home=home, disabled_plugins=disabled)


def disabled_by_env(env: Mapping[str, str]) -> tuple[str, ...]:
    """The plugins `$NEOCLONE_DISABLE_PLUGINS` blocks (names, comma-separated)."""
    return unique(name.strip() for name in env.get(DISABLE_PLUGINS_ENV, "").split(","))


# --- the document -----------------------------------------------------------------------

_TOP_KEYS = (
    "home",
    "provider_preference",
    "disabled_plugins",
    "discovery_timeout",
    "request_timeout",
    "local_fallback",
    "exclude_training_on_prompts",
    "cache",
    "providers",
    "store",
    "quota",
)
_CACHE_KEYS = ("ttl_days", "backoff_base_seconds", "backoff_cap_seconds")
_PROVIDER_KEYS = ("enabled", "base_url", "timeout", "api_key_env", "options")


def _parse(root: Table) -> Settings:
    reject_secret_keys(root.file, root.data, ())
    root.expect_keys(_TOP_KEYS)
    home = root.get("home", text_value, None)
    return Settings(
        home=platformdirs.user_cache_path("neoclone")
        if home is None
        else root.file.parent / Path(home).expanduser(),
        config_path=root.file,
        provider_preference=unique(root.get("provider_preference", names, ())),
        disabled_plugins=unique(root.get("disabled_plugins", names, ())),
        discovery_timeout=root.get("discovery_timeout", positive, DEFAULT_DISCOVERY_TIMEOUT),
        request_timeout=root.get("request_timeout", positive, DEFAULT_REQUEST_TIMEOUT),
        local_fallback=root.get("local_fallback", flag, True),
        exclude_training_on_prompts=root.get("exclude_training_on_prompts", flag, False),
        providers=_providers(root.table("providers")),
        cache=_cache(root.table("cache")),
        store=root.get("store", store_url, None),
        quota=read_quota_table(root.table("quota")),
    )


def _cache(table: Table | None) -> CacheSettings:
    if table is None:
        return _DEFAULT_CACHE
    table.expect_keys(_CACHE_KEYS)
    ttl_days = table.get("ttl_days", positive, None)
    base = table.get("backoff_base_seconds", positive, _DEFAULT_CACHE.backoff_base_seconds)
    cap = table.get("backoff_cap_seconds", positive, _DEFAULT_CACHE.backoff_cap_seconds)
    if cap < base:
        table.fail(
            "backoff_cap_seconds", f"must be >= backoff_base_seconds ({base:g}), got {cap:g}"
        )
    ttl = _DEFAULT_CACHE.ttl_seconds if ttl_days is None else ttl_days * _DAY
    return CacheSettings(ttl_seconds=ttl, backoff_base_seconds=base, backoff_cap_seconds=cap)


def _providers(table: Table | None) -> dict[str, ProviderSettings]:
    if table is None:
        return {}
    return {name: _provider(table.child(name)) for name in table.data}


def _provider(table: Table) -> ProviderSettings:
    table.expect_keys(_PROVIDER_KEYS)
    key_envs: tuple[str, ...] = table.get("api_key_env", env_names, ())
    return ProviderSettings(
        enabled=table.get("enabled", flag, True),
        base_url=table.get("base_url", url, None),
        timeout=table.get("timeout", positive, None),
        api_key_env=key_envs[0] if key_envs else None,
        more_key_envs=key_envs[1:],
        options=table.child("options").data if "options" in table.data else {},
    )


def check_provider_tables(settings: Settings, installed: Collection[str]) -> None:
    """ConfigError for a `[providers.<name>]` table no installed provider has (a typo such
    as `openroutr` would otherwise be ignored in silence), with a close match if any. A
    table of a disabled plugin, or one that only switches its provider off, is fine."""
    unknown = set(settings.providers) - set(installed) - set(settings.disabled_plugins)
    for name in sorted(n for n in unknown if settings.providers[n].enabled):
        close = difflib.get_close_matches(name, sorted(installed), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        where = f"{settings.config_path}: " if settings.config_path else ""
        listing = ", ".join(sorted(installed)) or "none"
        msg = (
            f"{where}providers.{name}: no installed provider is called {name!r}"
            f" ({hint}installed: {listing})"
        )
        raise ConfigError(msg)
