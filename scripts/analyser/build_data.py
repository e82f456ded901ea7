"""Build the analyser's training and evaluation sets from public repositories, at pinned
commits, through the one label table (label_map.tsv).

    python scripts/analyser/build_data.py --mirrors DIR

DIR holds bare git copies named `owner+name/repo` (what the session's fetch tool makes;
`git clone --bare https://github.com/OWNER/NAME DIR/OWNER+NAME/repo` works as well). The
output is deterministic (sorted inputs, seeded sampling) and small enough to commit:

- data/train.jsonl.gz: {"text", "label", "source", "group", "lang"} per request;
- data/eval.jsonl.gz: MT-Bench (en, de, es, fr, pt, zh) and Vicuna-bench, first turns,
  which nothing is ever trained or tuned on.

Only one kind of item is built rather than taken as written: translation requests, where a
sentence of a parallel corpus (XQuAD, MGSM) is put into one of a few request templates per
language (TRANSLATE_TEMPLATES below); their label is known by construction.
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import gzip
import io
import json
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from graded_sources import classeval, exercism, gaokao  # noqa: E402 (on the path above)
from mirrors import Mirrors  # noqa: E402
from templates import LANGUAGE_NAMES, TRANSLATE_TEMPLATES  # noqa: E402
from writing_templates import ROLES, SUBJECTS, WRITING_TEMPLATES  # noqa: E402

SEED = 13

LANGS = ("en", "fr", "es", "de", "pt", "zh")


# -- the label table -------------------------------------------------------------------------


def label_table() -> dict[str, list[tuple[str, str]]]:
    """source -> [(pattern, label)], in file order (the first match wins)."""
    table: dict[str, list[tuple[str, str]]] = {}
    lines = (HERE / "label_map.tsv").read_text(encoding="utf-8").splitlines()
    for line in lines:
        if not line or line.startswith("#") or line.startswith("source\t"):
            continue
        source, pattern, label, _why = line.split("\t")
        table.setdefault(source, []).append((pattern, label))
    return table


def map_label(table: dict[str, list[tuple[str, str]]], source: str, raw: str) -> str | None:
    """The neoclone label of `raw` in `source`, or None when the table drops it."""
    for pattern, label in table[source]:
        if fnmatch.fnmatchcase(raw, pattern):
            return None if label == "-" else label
    msg = f"label_map.tsv has no row for {source}/{raw}"
    raise KeyError(msg)


def _row(text: str, label: str | None, source: str, group: str, lang: str) -> dict[str, Any]:
    return {"text": text.strip(), "label": label, "source": source, "group": group, "lang": lang}


def _sample(items: list[Any], k: int, rng: random.Random) -> list[Any]:
    return items if len(items) <= k else rng.sample(items, k)


# -- training sources ------------------------------------------------------------------------


def gsm8k(m: Mirrors, rng: random.Random) -> Iterator[dict[str, Any]]:
    lines = m.text("gsm8k", "grade_school_math/data/train.jsonl").splitlines()
    for line in _sample(lines, 1500, rng):
        yield _row(json.loads(line)["question"], "reasoning", "gsm8k", "gsm8k", "en")


def mgsm_rows(m: Mirrors) -> dict[str, list[str]]:
    """MGSM's 250 problems per language, aligned by line (used for translation too)."""
    out = {}
    for lang in ("en", "de", "es", "fr", "zh", "ja", "ru"):
        text = m.text("mgsm", f"mgsm/mgsm_{lang}.tsv")
        out[lang] = [r[0] for r in csv.reader(io.StringIO(text), delimiter="\t") if r]
    return out


def mgsm(rows: dict[str, list[str]], rng: random.Random) -> Iterator[dict[str, Any]]:
    for lang in ("de", "es", "fr", "zh", "ja", "ru"):
        for q in _sample(rows[lang], 150, rng):
            yield _row(q, "reasoning", "mgsm", f"mgsm_{lang}", lang)


def humaneval(m: Mirrors) -> Iterator[dict[str, Any]]:
    raw = gzip.decompress(m.read("humaneval", "data/HumanEval.jsonl.gz"))
    for line in raw.decode("utf-8").splitlines():
        yield _row(json.loads(line)["prompt"], "code", "humaneval", "humaneval", "en")


def conala(m: Mirrors, rng: random.Random) -> Iterator[dict[str, Any]]:
    items = json.loads(m.text("conala", "conala-train.json"))
    intents = sorted({i["intent"] for i in items if i.get("intent")})
    for intent in _sample(intents, 1200, rng):
        yield _row(intent, "code", "conala", "conala", "en")


MATH_EVAL_DATA = "evaluation/data"


def math500(m: Mirrors) -> Iterator[dict[str, Any]]:
    """MATH (Hendrycks et al., MIT), the 500-problem test subset of PRM800K, as copied
    into a public evaluation harness with its authors' difficulty `level` (1-5) and
    subject: competition mathematics, the one source whose items carry a difficulty."""
    for line in m.text("math_eval", f"{MATH_EVAL_DATA}/math500/test_ori.jsonl").splitlines():
        item = json.loads(line)
        group = f"math500_{item['subject'].lower().replace(' ', '_')}"
        row = _row(item["problem"], "reasoning", "math500", group, "en")
        yield row | {"level": int(item["level"])}


def svamp(m: Mirrors) -> Iterator[dict[str, Any]]:
    """SVAMP (Patel et al., MIT): one-step elementary word problems, easier than GSM8K."""
    for line in m.text("math_eval", f"{MATH_EVAL_DATA}/svamp/test.jsonl").splitlines():
        item = json.loads(line)
        text = f"{item['Body'].strip()} {item['Question'].strip()}"
        yield _row(text, "reasoning", "svamp", "svamp", "en")


def xquad_items(m: Mirrors) -> dict[str, dict[str, tuple[str, str]]]:
    """lang -> question id -> (passage, question); ids align across languages."""
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for lang in ("en", "de", "es", "zh", "ru"):
        doc = json.loads(m.text("xquad", f"xquad.{lang}.json"))
        out[lang] = {
            qa["id"]: (para["context"], qa["question"])
            for article in doc["data"]
            for para in article["paragraphs"]
            for qa in para["qas"]
        }
    return out


def xquad(
    items: dict[str, dict[str, tuple[str, str]]], rng: random.Random
) -> Iterator[dict[str, Any]]:
    for lang, by_id in items.items():
        ids = sorted(by_id)
        rng.shuffle(ids)
        for qid in ids[:250]:
            yield _row(by_id[qid][1], "knowledge", "xquad_question", f"xquad_q_{lang}", lang)
        for qid in ids[250:400]:
            passage, question = by_id[qid]
            shape = rng.choice(("{p}\n\n{q}", "{p}\n\nQ: {q}", "{q}\n\n{p}"))
            text = shape.format(p=passage, q=question)
            yield _row(text, "extraction", "xquad_passage", f"xquad_p_{lang}", lang)


def awesome_prompts(
    m: Mirrors, table: dict[str, list[tuple[str, str]]]
) -> Iterator[dict[str, Any]]:
    text = m.text("awesome_prompts", "prompts.csv")
    for row in csv.DictReader(io.StringIO(text)):
        label = map_label(table, "awesome_prompts", row["act"])
        if label:
            yield _row(row["prompt"], label, "awesome_prompts", "awesome_prompts", "en")


CHATTERBOT_LANGS = {
    "english": "en",
    "french": "fr",
    "spanish": "es",
    "german": "de",
    "portuguese": "pt",
    "chinese": "zh",
}
_FIRST_TURN = re.compile(r"^- - (.+)$", re.MULTILINE)


def chatterbot(m: Mirrors, table: dict[str, list[tuple[str, str]]]) -> Iterator[dict[str, Any]]:
    """The first utterance of each conversation (what a user says), by the file's topic.
    The corpus is YAML of one simple shape; a line `- - text` opens a conversation."""
    for name in m.names("chatterbot", "chatterbot_corpus/data"):
        folder, file = name.split("/")[-2:]
        lang = CHATTERBOT_LANGS.get(folder)
        if lang is None or not file.endswith(".yml"):
            continue
        topic = file.removesuffix(".yml").lower()
        label = map_label(table, "chatterbot", topic)
        if label is None:
            continue
        seen = set()
        for match in _FIRST_TURN.finditer(m.text("chatterbot", name)):
            utterance = match.group(1).strip().strip("'\"")
            if utterance and utterance not in seen and not utterance.startswith("|"):
                seen.add(utterance)
                yield _row(utterance, label, "chatterbot", f"chatterbot_{lang}_{topic}", lang)


def self_instruct_seed(
    m: Mirrors, table: dict[str, list[tuple[str, str]]]
) -> Iterator[dict[str, Any]]:
    for line in m.text("self_instruct", "data/seed_tasks.jsonl").splitlines():
        task = json.loads(line)
        label = map_label(table, "self_instruct_seed", task["name"])
        if label is None:
            continue
        for instance in task["instances"]:
            given = instance.get("input", "").strip()
            text = f"{task['instruction']}\n{given}" if given else task["instruction"]
            yield _row(text, label, "self_instruct_seed", task["name"], "en")


T0_DIR = "data/finetuning/t0_train_50k/data_per_template"


def t0(
    m: Mirrors, table: dict[str, list[tuple[str, str]]], rng: random.Random
) -> Iterator[dict[str, Any]]:
    """P3 prompts (T0's training mixture) from the self-instruct repository: each file is
    one promptsource template of one dataset, labelled by the dataset's task cluster."""
    for name in m.names("self_instruct", T0_DIR):
        template = name.rsplit("/", 1)[-1].removesuffix(".jsonl")
        label = map_label(table, "t0", template)
        if label is None:
            continue
        lines = m.text("self_instruct", name).splitlines()
        for line in _sample(lines, 16, rng):
            yield _row(json.loads(line)["prompt"], label, "t0", template, "en")


def gpteacher(m: Mirrors, rng: random.Random) -> Iterator[dict[str, Any]]:
    """GPTeacher's role-play and code-generation splits, labelled by split: each split
    was generated for one kind of task (README), so the split is the author's label."""
    for split, path, label in (
        ("roleplay", "Roleplay/roleplay-simple-deduped-roleplay-instruct.json", "creative_writing"),
        ("codegen", "Codegen/codegen-instruct.json", "code"),
    ):
        items = json.loads(m.text("gpteacher", path))
        for item in _sample(items, 600, rng):
            given = item.get("input", "").strip()
            text = f"{item['instruction']}\n{given}" if given else item["instruction"]
            yield _row(text, label, "gpteacher", f"gpteacher_{split}", "en")


def prompts_zh(m: Mirrors, table: dict[str, list[tuple[str, str]]]) -> Iterator[dict[str, Any]]:
    """The Chinese "act as" prompts, labelled by their role like awesome_prompts."""
    for item in json.loads(m.text("prompts_zh", "prompts-zh.json")):
        label = map_label(table, "prompts_zh", item["act"])
        if label:
            yield _row(item["prompt"], label, "prompts_zh", "prompts_zh", "zh")


# -- translation requests, built -------------------------------------------------------------


def translations(
    xq: dict[str, dict[str, tuple[str, str]]], mg: dict[str, list[str]], rng: random.Random
) -> Iterator[dict[str, Any]]:
    """Requests to translate a sentence of one language into another, asked in each of
    the six languages; the sentence comes from a parallel corpus."""
    sentences: dict[str, list[str]] = {}
    for lang in ("en", "de", "es", "zh"):
        sentences.setdefault(lang, []).extend(q for _p, q in xq[lang].values())
    for lang in ("en", "de", "es", "fr", "zh"):
        sentences.setdefault(lang, []).extend(s.split(". ")[0] for s in mg[lang])
    pool = sorted(sentences)
    for asked_in, templates in TRANSLATE_TEMPLATES.items():
        for i in range(220):
            source = pool[i % len(pool)]
            target = rng.choice([x for x in LANGS if x != source])
            text = rng.choice(sentences[source])
            template = templates[i % len(templates)]
            request = template.format(L=LANGUAGE_NAMES[asked_in][target], t=text)
            yield _row(request, "translation", "translation_built", f"tr_{asked_in}", asked_in)


def writing(rng: random.Random) -> Iterator[dict[str, Any]]:
    """Requests for a piece of writing or a role-play in de, fr, es, pt and zh, built from
    templates (writing_templates.py); creative_writing by construction."""
    for lang, templates in WRITING_TEMPLATES.items():
        for i in range(120):
            template = templates[i % len(templates)]
            subject, role = rng.choice(SUBJECTS[lang]), rng.choice(ROLES[lang])
            request = template.format(s=subject, r=role)
            yield _row(request, "creative_writing", "writing_built", f"wr_{lang}", lang)


# -- evaluation sources ----------------------------------------------------------------------

MT_BENCH_PATHS = {
    "en": ("fastchat", "fastchat/llm_judge/data/mt_bench/question.jsonl"),
    "de": ("fastchat_ml", "fastchat/llm_judge/data/mt_bench_de/question.jsonl"),
    "es": ("fastchat_ml", "fastchat/llm_judge/data/mt_bench_es/question.jsonl"),
    "fr": ("fastchat_ml", "fastchat/llm_judge/data/mt_bench_fr/question.jsonl"),
    "pt": ("fastchat_ml", "fastchat/llm_judge/data/mt_bench_pt/question.jsonl"),
    "zh": ("mt_bench_zh", "mt_bench_zh/data/mt_bench_zh/question.jsonl"),
}


def evaluation(m: Mirrors, table: dict[str, list[tuple[str, str]]]) -> Iterator[dict[str, Any]]:
    """First turns of MT-Bench in six languages and of Vicuna-bench (English)."""
    for lang, (key, path) in MT_BENCH_PATHS.items():
        for line in m.text(key, path).splitlines():
            q = json.loads(line)
            label = map_label(table, "mt_bench", q["category"])
            row = _row(q["turns"][0], label, "mt_bench", q["category"], lang)
            yield row | {"id": f"mt_bench_{lang}_{q['question_id']}"}
    path = "fastchat/llm_judge/data/vicuna_bench/question.jsonl"
    for line in m.text("fastchat", path).splitlines():
        q = json.loads(line)
        label = map_label(table, "vicuna_bench", q["category"])
        row = _row(q["turns"][0], label, "vicuna_bench", q["category"], "en")
        yield row | {"id": f"vicuna_{q['question_id']}"}


def alignbench(m: Mirrors, table: dict[str, list[tuple[str, str]]]) -> Iterator[dict[str, Any]]:
    """AlignBench (Chinese, 683 requests): an evaluation source read from its repository
    at evaluation time and not committed here (its data licence is not stated)."""
    for line in m.text("alignbench", "data/data_v1.1_release.jsonl").splitlines():
        q = json.loads(line)
        raw = q["category"]
        if raw == "基本任务":  # basic tasks: mapped by subcategory
            raw = f"{raw}:{q['subcategory']}"
        label = map_label(table, "alignbench", raw)
        row = _row(q["question"], label, "alignbench", q["category"], "zh")
        yield row | {"id": f"alignbench_{q['question_id']}"}


# -- main ------------------------------------------------------------------------------------


def build(m: Mirrors) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    table = label_table()
    rng = random.Random(SEED)  # noqa: S311 (reproducible sampling, not security)
    mg = mgsm_rows(m)
    xq = xquad_items(m)
    train = [
        *gsm8k(m, rng),
        *mgsm(mg, rng),
        *humaneval(m),
        *conala(m, rng),
        *xquad(xq, rng),
        *awesome_prompts(m, table),
        *chatterbot(m, table),
        *self_instruct_seed(m, table),
        *t0(m, table, rng),
        *gpteacher(m, rng),
        *prompts_zh(m, table),
        *translations(xq, mg, rng),
        *math500(m),
        *svamp(m),
        *writing(rng),
        *exercism(m),
        *classeval(m),
        *gaokao(m, lambda subject: map_label(table, "gaokao", subject), rng),
    ]
    train = [r for r in train if r["text"]]
    return train, list(evaluation(m, table))


def write_jsonl_gz(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
    with path.open("wb") as out, gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
        gz.write(body.encode("utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--out", type=Path, default=HERE / "data")
    args = parser.parse_args()
    train, evaluation_rows = build(Mirrors(args.mirrors))
    write_jsonl_gz(args.out / "train.jsonl.gz", train)
    write_jsonl_gz(args.out / "eval.jsonl.gz", evaluation_rows)
    counts: dict[tuple[str, str], int] = {}
    for r in train:
        counts[r["label"], r["lang"]] = counts.get((r["label"], r["lang"]), 0) + 1
    print(f"train: {len(train)} rows, eval: {len(evaluation_rows)} rows")
    for (label, lang), n in sorted(counts.items()):
        print(f"  {label:<17} {lang}  {n}")


if __name__ == "__main__":
    main()
