"""neoclone: find the free AI models across providers, pick the right one for a task,
and run it with automatic fallback.

Importing this package does no I/O and loads no plugin: `Neoclone(...)` does, when
built. Everything public is re-exported here; modules starting with `_` are private.
"""

from neoclone_core._api import (
    BlockingNeoclone,
    Neoclone,
    Recommendation,
    Session,
    create_enhanced_model_discovery_module,
)
from neoclone_core._breaker import BreakerPolicy
from neoclone_core._catalog import CacheStats, ProviderScan, ScanStatus
from neoclone_core._config import CacheSettings, ProviderSettings, Settings, load_settings
from neoclone_core._fallback import FallbackAction, FallbackDecision
from neoclone_core._health import HealthChecker, HealthReport
from neoclone_core._models import (
    Attempt,
    Capability,
    ChatChunk,
    ChatRequest,
    ChatResponse,
    ModelInfo,
    Plan,
    Pricing,
    RateLimit,
    Route,
    Score,
    ScoreComponent,
    ScoredModel,
    Source,
    TaskProfile,
    Usage,
)
from neoclone_core._observations import Observations
from neoclone_core._plugins import ENTRY_POINT_GROUP, PluginInfo, Plugins, build_plugins
from neoclone_core._policy import EnginePolicy
from neoclone_core._provider import Provider, ProviderContext
from neoclone_core._ranking import Ranking
from neoclone_core._retry import RetryPolicy
from neoclone_core._secrets import Secret, public_url, redact
from neoclone_core._serialize import model_from_dict, model_to_dict
from neoclone_core._shared_scans import ScanCache
from neoclone_core._state import (
    AttemptRecord,
    BreakerState,
    BreakerStatus,
    Cooldown,
    EngineState,
    ModelStats,
    RequestRecord,
    SessionStats,
)
from neoclone_core._store import ScanState
from neoclone_core._streaming import ChatStream
from neoclone_core.hookspecs import hookimpl

__all__ = [
    "ENTRY_POINT_GROUP",
    "Attempt",
    "AttemptRecord",
    "BlockingNeoclone",
    "BreakerPolicy",
    "BreakerState",
    "BreakerStatus",
    "CacheSettings",
    "CacheStats",
    "Capability",
    "ChatChunk",
    "ChatRequest",
    "ChatResponse",
    "ChatStream",
    "Cooldown",
    "EnginePolicy",
    "EngineState",
    "FallbackAction",
    "FallbackDecision",
    "HealthChecker",
    "HealthReport",
    "ModelInfo",
    "ModelStats",
    "Neoclone",
    "Observations",
    "Plan",
    "PluginInfo",
    "Plugins",
    "Pricing",
    "Provider",
    "ProviderContext",
    "ProviderScan",
    "ProviderSettings",
    "Ranking",
    "RateLimit",
    "Recommendation",
    "RequestRecord",
    "RetryPolicy",
    "Route",
    "ScanCache",
    "ScanState",
    "ScanStatus",
    "Score",
    "ScoreComponent",
    "ScoredModel",
    "Secret",
    "Session",
    "SessionStats",
    "Settings",
    "Source",
    "TaskProfile",
    "Usage",
    "build_plugins",
    "create_enhanced_model_discovery_module",
    "hookimpl",
    "load_settings",
    "model_from_dict",
    "model_to_dict",
    "public_url",
    "redact",
]
