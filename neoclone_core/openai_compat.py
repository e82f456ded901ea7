"""Deprecated: `neoclone_core.openai.compat` since 0.2 (kept one release for plugins)."""

from __future__ import annotations

import warnings

from neoclone_core.openai.compat import *  # noqa: F403
from neoclone_core.openai.compat import __all__  # noqa: F401

warnings.warn(
    "neoclone_core.openai_compat is deprecated: import neoclone_core.openai.compat",
    DeprecationWarning,
    stacklevel=2,
)
