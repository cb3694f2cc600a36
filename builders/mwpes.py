"""MWPES builder: collection / ingest run folders -> the Hub-ready math-word-problem error dataset.

Configs (all with the one split ``train``): ``all`` (every wrong sample), one per source dataset present
(``gsm8k``, ``svamp``, ``asdiv``, ``aqua``, ``math``), and ``counts`` (per model, dataset and strategy: samples
judged, correct, wrong, unique wrong), from which the card's error rates are computed. Only wrong samples
(verdict ``wrong`` or ``no_answer``) enter the main configs; identical wrong solutions of the same problem, model
and strategy are kept once, with ``duplicates`` = how many samples the row stands for and ``duplicate_ids`` the
ids of the others.

Example:
    >>> from knowbench.builders import get_builder  # doctest: +SKIP
    >>> from knowbench.builders.writer import build_to_folder  # doctest: +SKIP
    >>> build_to_folder(get_builder("mwpes", runs=("runs/gpt3",)), "out/mwpes")  # doctest: +SKIP
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import pyarrow as pa

from knowbench.builders.base import BuilderConfig, DatasetBuilder, SourceInfo
from knowbench.datasets_src.mwpes.runs import CONFIG_FILE, SAMPLES_FILE, read_run
from knowbench.datasets_src.mwpes.schema import DATASETS
from knowbench.errors import ConfigError
from knowbench.io import sha256_file

SPLIT = "train"

SAMPLE_FEATURES = datasets.Features(
    {
        "sample_id": datasets.Value("string"),
        "dataset": datasets.Value("string"),
        "problem_id": datasets.Value("string"),
        "question": datasets.Value("string"),
        "options": datasets.List(datasets.Value("string")),
        "gold_answer": datasets.Value("string"),
        "gold_solution": datasets.Value("string"),
        # GSM8K calculator notes <<expression=result>> of the gold solution, in order
        "gold_steps": datasets.List({"expression": datasets.Value("string"), "result": datasets.Value("string")}),
        "level": datasets.Value("string"),
        "type": datasets.Value("string"),
        "model": datasets.Value("string"),
        "strategy": datasets.Value("string"),
        "temperature": datasets.Value("float64"),
        "top_p": datasets.Value("float64"),
        "sample_index": datasets.Value("int32"),
        "prompt_style": datasets.Value("string"),
        "solution": datasets.Value("string"),
        "extracted_answer": datasets.Value("string"),
        "verdict": datasets.Value("string"),
        "judge_method": datasets.Value("string"),
        "published_label": datasets.Value("bool"),
        "duplicates": datasets.Value("int32"),
        "duplicate_ids": datasets.List(datasets.Value("string")),
    }
)

COUNT_FEATURES = datasets.Features(
    {
        "model": datasets.Value("string"),
        "dataset": datasets.Value("string"),
        "strategy": datasets.Value("string"),
        "samples": datasets.Value("int64"),
        "correct": datasets.Value("int64"),
        "wrong": datasets.Value("int64"),
        "no_answer": datasets.Value("int64"),
        "unique_wrong": datasets.Value("int64"),
        # samples that carry a published correctness label, and how many of those it marks wrong
        "published": datasets.Value("int64"),
        "published_wrong": datasets.Value("int64"),
    }
)

CITATION = """@article{sun2025mwpes,
  title   = {Error Classification of Large Language Models on Math Word Problems: A Dynamically Adaptive Framework},
  author  = {Sun, Yuhong and Yin, Zhangyue and Huang, Xuanjing and Qiu, Xipeng and Zhao, Hui},
  journal = {arXiv preprint arXiv:2501.15581},
  year    = {2025}
}"""


@dataclass(frozen=True)
class MWPESConfig(BuilderConfig):
    """Options of the MWPES build.

    Example:
        >>> MWPESConfig(runs=("runs/a",)).runs
        ('runs/a',)
    """

    #: run folders written by ``knowbench collect mwp`` / ``knowbench ingest mwp``
    runs: tuple[str | Path, ...] = ()

    def validate(self) -> None:
        if not self.runs:
            raise ConfigError("give at least one run folder: runs=()")
        if len(set(map(str, self.runs))) != len(self.runs):
            raise ConfigError(f"a run folder is listed twice: runs={[str(r) for r in self.runs]}")


def _normalised(text: str) -> str:
    return " ".join(text.split())


class MWPESBuilder(DatasetBuilder[MWPESConfig]):
    """Wrong solutions of math word problems, deduplicated, with the counts of correct ones."""

    name = "mwpes"
    version = "1.0.0"
    config_class = MWPESConfig
    pretty_name = "MWPES: math word problem error samples"
    license = "other"
    task_categories = ("text-generation", "question-answering")
    tags = ("math", "math-word-problems", "error-analysis", "gsm8k", "svamp", "aqua", "math", "asdiv")
    citation = CITATION

    def __init__(self, config: MWPESConfig) -> None:
        super().__init__(config)
        self._rows: list[dict[str, Any]] | None = None
        self._counts: list[dict[str, Any]] = []
        self._sources: list[SourceInfo] = []

    # -- reading the runs ---------------------------------------------------------------------------------------
    def prepare(self) -> None:
        if self._rows is not None:
            return
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        owner: dict[str, str] = {}
        counts: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
        for run_dir in map(Path, self.config.runs):
            run = read_run(run_dir)
            self._sources.append(
                SourceInfo(
                    uri=str(run_dir),
                    sha256=sha256_file(run_dir / SAMPLES_FILE) if (run_dir / SAMPLES_FILE).exists() else None,
                    description=f"{run.config.get('kind', 'run')} run: {len(run.samples):,} samples of "
                    f"{run.config.get('model') or ', '.join(run.config.get('models', []))} on {run.config.get('dataset')}"
                    f" ({CONFIG_FILE}: {run.config.get('strategy_key') or ', '.join(run.config.get('strategies', []))})",
                )
            )
            for sample in run.samples:
                sid = sample["id"]
                if sid in owner:
                    raise ConfigError(f"sample {sid!r} appears in two runs: {owner[sid]} and {run_dir}")
                owner[sid] = str(run_dir)
                count = counts[(sample["model"], sample["dataset"], sample["strategy"])]
                count["samples"] += 1
                count[sample["verdict"]] += 1
                if sample.get("published_label") is not None:
                    count["published"] += 1
                    count["published_wrong"] += sample["published_label"] is False
                if sample["verdict"] == "correct":
                    continue
                key = (sid.rsplit("/", 1)[0], _normalised(sample["solution"]))
                if key in rows:
                    rows[key]["duplicates"] += 1
                    rows[key]["duplicate_ids"].append(sid)
                    continue
                count["unique_wrong"] += 1
                problem = run.problems[sample["problem_id"]]
                rows[key] = {
                    "sample_id": sid,
                    "dataset": problem.dataset,
                    "problem_id": problem.problem_id,
                    "question": problem.question,
                    "options": list(problem.options),
                    "gold_answer": problem.gold_answer,
                    "gold_solution": problem.gold_solution,
                    "gold_steps": [{"expression": s.expression, "result": s.result} for s in problem.steps],
                    "level": problem.level,
                    "type": problem.type,
                    "model": sample["model"],
                    "strategy": sample["strategy"],
                    "temperature": sample.get("temperature"),
                    "top_p": sample.get("top_p"),
                    "sample_index": sample["sample_index"],
                    "prompt_style": sample.get("prompt_style"),
                    "solution": sample["solution"],
                    "extracted_answer": sample.get("extracted_answer"),
                    "verdict": sample["verdict"],
                    "judge_method": sample.get("judge_method"),
                    "published_label": sample.get("published_label"),
                    "duplicates": 1,
                    "duplicate_ids": [],
                }
        self._rows = list(rows.values())
        self._counts = [
            {
                "model": model,
                "dataset": dataset,
                "strategy": strategy,
                "samples": c["samples"],
                "correct": c["correct"],
                "wrong": c["wrong"] + c["no_answer"],
                "no_answer": c["no_answer"],
                "unique_wrong": c["unique_wrong"],
                "published": c["published"],
                "published_wrong": c["published_wrong"],
            }
            for (model, dataset, strategy), c in sorted(counts.items())
        ]

    # -- contract -----------------------------------------------------------------------------------------------
    def hub_configs(self) -> dict[str, tuple[str, ...]]:
        self.prepare()
        present = {row["dataset"] for row in self._rows or []} | {c["dataset"] for c in self._counts}
        configs = {"all": (SPLIT,)}
        configs.update({name: (SPLIT,) for name in DATASETS if name in present})
        configs["counts"] = (SPLIT,)
        return configs

    def features(self, hub_config: str) -> datasets.Features:
        return COUNT_FEATURES if hub_config == "counts" else SAMPLE_FEATURES

    def generate(self, hub_config: str, split: str) -> Iterator[dict[str, Any]]:
        self.prepare()
        if hub_config == "counts":
            yield from self._counts
            return
        for row in self._rows or []:
            if hub_config in ("all", row["dataset"]):
                yield row

    def sources(self) -> list[SourceInfo]:
        return self._sources

    def statistics(self, tables: dict[str, dict[str, pa.Table]]) -> dict[str, Any]:
        errors = tables["all"][SPLIT].select(["model", "dataset", "strategy", "duplicates", "published_label"]).to_pylist()
        counts = tables["counts"][SPLIT].to_pylist()

        def group(keys: tuple[str, ...]) -> list[dict[str, Any]]:
            out: dict[tuple[Any, ...], dict[str, Any]] = {}
            for c in counts:
                entry = out.setdefault(
                    tuple(c[k] for k in keys),
                    {**{k: c[k] for k in keys}, "samples": 0, "correct": 0, "wrong": 0, "no_answer": 0, "unique_wrong": 0},
                )
                for field in ("samples", "correct", "wrong", "no_answer", "unique_wrong"):
                    entry[field] += c[field]
            for entry in out.values():
                entry["error_rate"] = entry["wrong"] / entry["samples"] if entry["samples"] else 0.0
            return [out[k] for k in sorted(out)]

        rows_by = {
            key: Counter(e[key] for e in errors) for key in ("model", "dataset", "strategy")
        }
        return {
            "rows": len(errors),
            "wrong_samples": sum(e["duplicates"] for e in errors),
            "duplicates_removed": sum(e["duplicates"] - 1 for e in errors),
            "samples": sum(c["samples"] for c in counts),
            "correct": sum(c["correct"] for c in counts),
            "no_answer": sum(c["no_answer"] for c in counts),
            "per_model": group(("model",)),
            "per_dataset": group(("dataset",)),
            "per_strategy": group(("strategy",)),
            "per_model_dataset_strategy": group(("model", "dataset", "strategy")),
            "rows_per_model": dict(sorted(rows_by["model"].items())),
            "rows_per_dataset": dict(sorted(rows_by["dataset"].items())),
            "rows_per_strategy": dict(sorted(rows_by["strategy"].items())),
            "published": sum(c["published"] for c in counts),
            "published_wrong": sum(c["published_wrong"] for c in counts),
            # wrong by knowbench's judge but marked correct by the published label (samples)
            "judge_wrong_published_correct": sum(e["duplicates"] for e in errors if e["published_label"] is True),
            "datasets": [name for name in DATASETS if name in rows_by["dataset"]],
        }


BUILDER = MWPESBuilder
