"""neoclone: find the free AI models across providers, pick the right one for a task,
and run it with automatic fallback.

Importing this package does no I/O and loads no plugin: `Neoclone(...)` does, when
built. Everything public is re-exported here. The subpackages hold the four stages
(`discover`, `score`, `select`, `execute`) and what they share (`state`, `openai`); their
modules are the implementation, free to change between releases, except where a plugin
guide names one (`provider_kit`, `openai.compat`, `testing`).
"""

from neoclone_core.blocking import BlockingNeoclone
from neoclone_core.config import CacheSettings, ProviderSettings, Settings, load_settings
from neoclone_core.discover.catalog import CacheStats, ProviderScan, ScanStatus
from neoclone_core.discover.serialize import model_from_dict, model_to_dict
from neoclone_core.execute.breaker import BreakerPolicy
from neoclone_core.execute.fallback import FallbackAction, FallbackDecision
from neoclone_core.execute.health import HealthChecker, HealthReport
from neoclone_core.execute.policy import EnginePolicy
from neoclone_core.execute.retry import RetryPolicy
from neoclone_core.execute.streaming import ChatStream
from neoclone_core.facade import Neoclone
from neoclone_core.hookspecs import hookimpl
from neoclone_core.models import (
    Attempt,
    Capability,
    ChatChunk,
    ChatRequest,
    ChatResponse,
    ModelInfo,
    Plan,
    Pricing,
    ProviderFigures,
    RateLimit,
    Route,
    Score,
    ScoreComponent,
    ScoredModel,
    Source,
    TaskProfile,
    Usage,
    content_text,
)
from neoclone_core.plugins import ENTRY_POINT_GROUP, PluginInfo, Plugins, build_plugins
from neoclone_core.provider import Access, FreeTier, Provider, ProviderContext
from neoclone_core.redaction import Secret, public_url, redact
from neoclone_core.score.observations import Observations
from neoclone_core.score.ranking import Ranking
from neoclone_core.seed_names import create_enhanced_model_discovery_module
from neoclone_core.select.plan import Recommendation
from neoclone_core.select.sessions import Session
from neoclone_core.state.engine_state import (
    AttemptRecord,
    BreakerState,
    BreakerStatus,
    Cooldown,
    EngineState,
    ModelStats,
    RequestRecord,
    SessionStats,
)
from neoclone_core.state.scan_cache import ScanCache
from neoclone_core.state.store import ScanState

__all__ = [
    "ENTRY_POINT_GROUP",
    "Access",
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
    "FreeTier",
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
    "ProviderFigures",
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
    "content_text",
    "create_enhanced_model_discovery_module",
    "hookimpl",
    "load_settings",
    "model_from_dict",
    "model_to_dict",
    "public_url",
    "redact",
]
