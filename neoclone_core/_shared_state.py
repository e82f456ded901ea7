"""Choosing where the engine keeps its state: the embedded store, or a shared one that a
store plugin opens from the config's `store` URL.

The plugin is asked through the `neoclone_open_state` hook, called here without the
isolation other hooks get: a store that cannot be reached must stop neoclone at start
with the plugin's own message (a gateway that ran on state no other instance sees would
hammer the providers its peers were told to leave alone). Once running, the engine
treats the store's `StoreError`s as outages and fails open (see `_state`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from neoclone_core._config import Settings
from neoclone_core._plugins import Plugins
from neoclone_core._secrets import public_url, redact
from neoclone_core._state import EngineState
from neoclone_core.errors import ConfigError, NeocloneError, StoreError

_KNOWN_PLUGINS = {"redis": "neoclone-store-redis", "rediss": "neoclone-store-redis"}


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
    hint = f"; install {_KNOWN_PLUGINS[scheme]}" if scheme in _KNOWN_PLUGINS else ""
    return f"{where}store: no installed plugin opens {scheme}:// stores{hint}"
