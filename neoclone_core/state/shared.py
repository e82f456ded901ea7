"""Choosing where the engine keeps its state: the embedded store, or a shared one that a
store plugin opens from the config's `store` URL.

The plugin is asked through the `neoclone_open_state` hook, called here without the
isolation other hooks get: a store that cannot be reached must stop neoclone at start
with the plugin's own message (a gateway that ran on state no other instance sees would
hammer the providers its peers were told to leave alone). Once running, the engine
treats the store's `StoreError`s as outages and fails open (see `_state`).

Instances write a shared store concurrently, and one may write what it learnt during
an outage long after: a shared store keeps, per key, the breaker state that changed
last (`BreakerState.changed_at`) and the cooldown that ends last (`Cooldown.until`),
whatever order the writes arrive in, the rule the engine reads them back by
(`Breaker.adopt`, `Admission.sync`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import importlib_metadata

from neoclone_core.config import Settings
from neoclone_core.errors import ConfigError, NeocloneError, StoreError
from neoclone_core.plugins import Plugins
from neoclone_core.redaction import public_url, redact
from neoclone_core.state.engine_state import EngineState

STORE_SCHEMES_GROUP = "neoclone.store_schemes"
"""The entry-point group where a store plugin's distribution names the URL schemes it
opens (`redis = "neoclone_store_redis"`): read to say which installed distribution
would open a store that no loaded plugin opened (it is disabled, or failed to load)."""


def open_shared_state(plugins: Plugins, settings: Settings) -> EngineState | None:
    """The store named by `settings.store`, or None when the config names none.

    Raises `ConfigError` when no installed plugin opens the URL's scheme, and
    `StoreError` when the store cannot be opened (the plugin's message, or one naming
    the plugin's unexpected failure).
    """
    url = settings.store
    if url is None:
        return None
    try:
        state: EngineState | None = plugins.manager.hook.neoclone_open_state(
            url=url, settings=settings
        )
    except NeocloneError:
        raise
    except Exception as exc:  # a plugin bug: still a clear, one-line reason to stop
        where = public_url(url)
        msg = redact(f"the store plugin failed to open {where}: {type(exc).__name__}: {exc}")
        raise StoreError(msg) from exc
    if state is None:
        raise ConfigError(_no_plugin_message(settings, url))
    return state


def _no_plugin_message(settings: Settings, url: str) -> str:
    scheme = urlsplit(url).scheme
    where = f"{settings.config_path}: " if settings.config_path else ""
    return f"{where}store: no installed plugin opens {scheme}:// stores; {_hint(scheme)}"


def _hint(scheme: str) -> str:
    """What to do about it: the installed distribution that declares `scheme` (and why
    it did not open the store), or where store plugins declare their schemes."""
    for ep in importlib_metadata.entry_points(group=STORE_SCHEMES_GROUP, name=scheme):
        dist = ep.dist.name if ep.dist else ep.value
        return (
            f"{dist} declares it but did not open it: it is disabled or failed to load"
            " (see `neoclone plugins`)"
        )
    return (
        f"install a store plugin that declares {scheme} in its {STORE_SCHEMES_GROUP!r}"
        " entry points (docs/orchestration.md lists the bundled one)"
    )
