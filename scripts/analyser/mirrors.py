"""The pinned sources of the analyser's data, read from bare git copies (build_data.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

# (repository, commit) of every source; SOURCES.md gives paths, licences and dates.
REPOS = {
    "gsm8k": ("openai/grade-school-math", "3101c7d5072418e28b9008a6636bde82a006892c"),
    "mgsm": ("google-research/url-nlp", "452a21ad3dae5668c06ceeac21ff073e1e40f9be"),
    "humaneval": ("openai/human-eval", "6d43fb980f9fee3c892a914eda09951f772ad10d"),
    "conala": ("shilliscmu/TranxConalaBaseline", "6eadbf863b2f4c977520cbc15afdf05ee00fd524"),
    "xquad": ("google-deepmind/xquad", "7d30520c717524000f0d9d2f9c10a069acd9d285"),
    "awesome_prompts": ("f/awesome-chatgpt-prompts", "078df58ab884d730740cad1bd503d9e104873357"),
    "chatterbot": ("gunthercox/chatterbot-corpus", "a01efece26661309b870af0251d96f94ee09fb19"),
    "self_instruct": ("yizhongw/self-instruct", "0b26ccaa415992100fa32df62d41b994cf928e23"),
    "gpteacher": ("teknium1/GPTeacher", "481075123c29854bddb82655badeef6a438f2436"),
    "prompts_zh": ("PlexPt/awesome-chatgpt-prompts-zh", "367ed18b9c50b702d762c6fbc2885107141acb62"),
    "math_eval": ("MobileLLM/BudgetThinker", "f0466b9d37595f46603387baa5930e312fefb7f5"),
    "exercism_python": ("exercism/python", "9eb657d4507d91efef99f484e7f2a1f4074911b5"),
    "exercism_rust": ("exercism/rust", "afe248a156c147bed54f08ed52d88e50d17b0e7b"),
    "classeval": ("FudanSELab/ClassEval", "eaeac44d0d5dcd8a95feec50726d66fedc73a98f"),
    "gaokao": ("OpenLMLab/GAOKAO-Bench", "6dbb24f8d8439041e5431c4c184a582182a6ce9c"),
    "fastchat": ("lm-sys/FastChat", "0e6d3e4beaab66f4d3f93db72541a4abab8af28d"),
    "fastchat_ml": ("ServiceNow/FastChat", "57659b0588c8077b855f48ba9421bf31fbcd9f72"),
    "mt_bench_zh": ("GeneZC/MiniMA", "4842dc053c697f38e29ff7effbc3448313497ed1"),
    "alignbench": ("THUDM/AlignBench", "5b79d4a84e566db26e755c719935c62a0e1b0527"),
}


class Mirrors:
    """Files of the pinned commits, read with `git show` from bare copies."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, key: str, path: str, commit: str | None = None) -> bytes:
        repo, pinned = REPOS[key]
        git_dir = self.root / repo.replace("/", "+") / "repo"
        ref = commit or pinned or "HEAD"
        return subprocess.run(
            ["git", "--git-dir", str(git_dir), "show", f"{ref}:{path}"],
            check=True,
            capture_output=True,
        ).stdout

    def text(self, key: str, path: str, commit: str | None = None) -> str:
        return self.read(key, path, commit).decode("utf-8")

    def names(self, key: str, under: str) -> list[str]:
        repo, pinned = REPOS[key]
        git_dir = self.root / repo.replace("/", "+") / "repo"
        out = subprocess.run(
            [
                "git",
                "--git-dir",
                str(git_dir),
                "ls-tree",
                "-r",
                "--name-only",
                pinned or "HEAD",
                under,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return sorted(out.split())
