"""Loading plugins and calling their hooks so that one bad plugin cannot break the rest.

pluggy aborts a whole hook call when one implementation raises, and it loads entry
points all-or-nothing. Both are wrong for neoclone, whose plugins talk to flaky
services: here every implementation is called on its own, and a plugin that fails to
import or raises is logged with its name and skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import importlib_metadata
import pluggy

from neoclone_core import hookspecs
from neoclone_core.errors import PluginError
from neoclone_core.log import log
from neoclone_core.provider import Provider

ENTRY_POINT_GROUP = "neoclone"


@attrs.frozen
class PluginInfo:
    """One plugin as `neoclone plugins` shows it; `error` is set when it failed to load."""

    name: str
    module: str
    distribution: str = ""
    version: str = ""
    hooks: tuple[str, ...] = ()
    error: str = ""


@attrs.define
class Plugins:
    """The plugin manager with neoclone's isolation rules around every hook call."""

    manager: pluggy.PluginManager
    infos: dict[str, PluginInfo] = attrs.field(factory=dict)

    def register(
        self, plugin: object, name: str, *, distribution: str = "", version: str = ""
    ) -> None:
        """Register `plugin` under `name` unless that name is blocked."""
        if self.manager.is_blocked(name):
            return
        self.manager.register(plugin, name=name)
        hooks = tuple(sorted(c.name for c in self.manager.get_hookcallers(plugin) or ()))
        module = getattr(plugin, "__name__", type(plugin).__module__)
        self.infos[name] = PluginInfo(name, module, distribution, version, hooks)

    def calls(self, hook_name: str, kwargs: Mapping[str, Any]) -> list[tuple[str, Any]]:
        """Call each implementation of `hook_name` in pluggy's order; failures are logged
        and skipped. Returns `(plugin name, result)` for every implementation that ran."""
        results = []
        for impl in self._impls(hook_name):
            result = _call_isolated(impl, hook_name, kwargs)
            if result is not _FAILED:
                results.append((impl.plugin_name, result))
        return results

    def first_result(self, hook_name: str, kwargs: Mapping[str, Any]) -> Any:
        """The first non-None result, as a `firstresult` hook would give, with isolation."""
        for impl in self._impls(hook_name):
            result = _call_isolated(impl, hook_name, kwargs)
            if result is not _FAILED and result is not None:
                return result
        return None

    def emit(self, event: str, **kwargs: Any) -> None:
        """Broadcast an event hook; what implementations return is ignored."""
        self.calls(event, kwargs)

    def providers(self) -> dict[str, Provider]:
        """Every provider object registered by any plugin, by provider name; a plugin
        registering an invalid object is logged and its other providers still count."""
        hook_name = "neoclone_register_providers"
        found: dict[str, Provider] = {}
        for impl in self._impls(hook_name):

            def register(provider: Provider, plugin_name: str = impl.plugin_name) -> None:
                _check_provider(provider, plugin_name)
                if provider.name in found:
                    log.warning(
                        "neoclone.provider_duplicate", provider=provider.name, plugin=plugin_name
                    )
                    return
                found[provider.name] = provider

            _call_isolated(impl, hook_name, {"register": register})
        return found

    def _impls(self, hook_name: str) -> list[pluggy.HookImpl]:
        """The hook's implementations in the order pluggy would call them (wrappers,
        which neoclone's hooks do not support, left out with a warning)."""
        impls = []
        for impl in reversed(getattr(self.manager.hook, hook_name).get_hookimpls()):
            if impl.hookwrapper or impl.wrapper:
                log.warning(
                    "neoclone.plugin_wrapper_ignored", plugin=impl.plugin_name, hook=hook_name
                )
            else:
                impls.append(impl)
        return impls


_FAILED = object()


def _call_isolated(impl: pluggy.HookImpl, hook_name: str, kwargs: Mapping[str, Any]) -> Any:
    """Call one implementation with the arguments it asks for; on failure log it with the
    plugin's name and return `_FAILED`."""
    try:
        return impl.function(*[kwargs[arg] for arg in impl.argnames])
    except Exception as exc:  # isolating plugins is the point
        log.warning(
            "neoclone.plugin_failed",
            plugin=impl.plugin_name,
            hook=hook_name,
            error=f"{type(exc).__name__}: {exc}",
        )
        return _FAILED


def _check_provider(provider: object, plugin_name: str) -> None:
    """Raise PluginError, naming the plugin, for an object that is not a Provider."""
    if not isinstance(provider, Provider):
        missing = [
            attr
            for attr in ("name", "default_base_url", "api_key_env", "discover", "chat", "stream")
            if not hasattr(provider, attr)
        ]
        msg = (
            f"plugin {plugin_name!r} registered {provider!r}, which is not a Provider"
            f" (missing: {', '.join(missing)})"
        )
        raise PluginError(msg)
    name = provider.name
    if not isinstance(name, str) or not name or "/" in name:
        msg = f"plugin {plugin_name!r} registered a provider with invalid name {name!r}"
        raise PluginError(msg)


def build_plugins(
    *,
    disabled: Iterable[str] = (),
    entry_points: bool = True,
    extra: Sequence[tuple[str, object]] = (),
    entry_point_group: str = ENTRY_POINT_GROUP,
) -> Plugins:
    """A fresh plugin manager: the entry points of `entry_point_group` (unless
    `entry_points` is False) and `extra` `(name, plugin)` pairs, minus the `disabled`
    names. Nothing is global."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for name in disabled:
        manager.set_blocked(name)
    plugins = Plugins(manager)
    if entry_points:
        _load_entry_points(plugins, entry_point_group)
    for name, plugin in extra:
        plugins.register(plugin, name)
    return plugins


def _load_entry_points(plugins: Plugins, group: str) -> None:
    for ep in importlib_metadata.entry_points(group=group):
        if plugins.manager.is_blocked(ep.name) or plugins.manager.has_plugin(ep.name):
            continue
        dist = ep.dist.name if ep.dist else ""
        version = ep.dist.version if ep.dist else ""
        try:
            plugin = ep.load()
            plugins.register(plugin, ep.name, distribution=dist, version=version)
        except Exception as exc:  # a broken plugin must not stop the others
            error = f"{type(exc).__name__}: {exc}"
            log.warning("neoclone.plugin_load_failed", plugin=ep.name, error=error)
            plugins.infos[ep.name] = PluginInfo(ep.name, ep.value, dist, version, error=error)
