"""The one split of the training sources into fitting and validation rows, shared by
scripts/train_analyser.py (which chooses its labelling rule on the validation rows) and
scripts/evaluate_analyser.py --validation (which measures the combined analyser there).

By group, never by line: a whole T0 template, self-instruct task or ChatterBot topic file
is on one side. Sources made of a single group are split by text instead.
"""

from __future__ import annotations

import zlib
from typing import Any

VALIDATION_SHARE = 0.2
SINGLE_GROUP_SOURCES = {
    "gsm8k",
    "conala",
    "humaneval",
    "awesome_prompts",
    "gpteacher",
    "prompts_zh",
    "svamp",
}


def is_validation(row: dict[str, Any]) -> bool:
    """Whether `row` is held out for validation; stable across runs (CRC32)."""
    single = row["source"] in SINGLE_GROUP_SOURCES
    key = row["text"] if single else f"{row['source']}/{row['group']}"
    return zlib.crc32(key.encode("utf-8")) % 100 < VALIDATION_SHARE * 100
