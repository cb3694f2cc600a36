"""MWPES builder: collection / ingest run folders -> the Hub-ready math-word-problem error dataset.

Configs (all with the one split ``train``): ``all`` (every wrong sample), one per source dataset present
(``gsm8k``, ``svamp``, ``asdiv``, ``aqua``, ``math``), and ``counts`` (per model, dataset and strategy: samples
judged, correct, wrong, unique wrong), from which the card's error rates are computed. Only wrong samples
(verdict ``wrong`` or ``no_answer``) enter the main configs; identical wrong solutions of the same problem, model
and strategy are kept once, with ``duplicates`` = how many samples the row stands for and ``duplicate_ids`` the
ids of the others.

The runs are read twice, one at a time: a first pass indexes samples (counts, duplicate groups; no text kept), the
second streams the rows.

Example:
    >>> import pathlib, tempfile
    >>> from knowbench.builders import get_builder
    >>> from knowbench.datasets_src.mwpes.ingest import ingest
    >>> demo = pathlib.Path(__file__).resolve().parents[1] / "examples" / "mwpes" / "gsm8k_demo_solutions.jsonl"
    >>> run = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> ingested = ingest(demo, run)
    >>> builder = get_builder("mwpes", runs=(run,))
    >>> list(builder.hub_configs())
    ['all', 'gsm8k', 'counts']
    >>> counts = list(builder.generate("counts", "train"))
    >>> sum(c["samples"] for c in counts) == ingested["samples"], sum(c["wrong"] for c in counts) == ingested["wrong"]
    (True, True)
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import datasets

from knowbench.builders.base import BuilderConfig, DatasetBuilder, RowStatistics, SourceInfo
from knowbench.datasets_src.mwpes.runs import CONFIG_FILE, SAMPLES_FILE, Run, read_run
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
        # the source's own id of the sample (MR-GSM8K uuid, a mapped id, else a content hash); human labels if any
        "source_id": datasets.Value("string"),
        "label_first_error_step": datasets.Value("int32"),
        "label_error_type": datasets.Value("string"),
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

    #: run folders written by `knowbench collect mwp` / `knowbench ingest mwp` (repeat --runs, or list them after it)
    runs: tuple[Path, ...] = field(default=(), metadata={"positional": True})

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

    # -- pass 1: index the runs (counts, duplicate groups, sources); no sample text is kept -------------------
    @cached_property
    def _index(self) -> _Index:
        index = _Index()
        owner: dict[str, str] = {}
        counts: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
        first: dict[bytes, tuple[str, tuple[Any, ...]]] = {}
        for run_dir in map(Path, self.config.runs):
            run = read_run(run_dir)
            index.sources.append(_source_info(run_dir, run))
            datasets_here = index.run_datasets.setdefault(str(run_dir), set())
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
                key, labels = _duplicate_key(sample), _labels(sample)
                if key in first:
                    index.duplicate_ids[first[key][0]].append(sid)
                    index.other_labels += labels != first[key][1]
                    continue
                first[key] = (sid, labels)
                index.duplicate_ids[sid] = []
                count["unique_wrong"] += 1
                datasets_here.add(run.problems[sample["problem_id"]].dataset)
        index.counts = [
            {
                "model": model, "dataset": dataset, "strategy": strategy, "samples": c["samples"],
                "correct": c["correct"], "wrong": c["wrong"] + c["no_answer"], "no_answer": c["no_answer"],
                "unique_wrong": c["unique_wrong"], "published": c["published"], "published_wrong": c["published_wrong"],
            }
            for (model, dataset, strategy), c in sorted(counts.items())
        ]
        return index

    # -- contract -----------------------------------------------------------------------------------------------
    def hub_configs(self) -> dict[str, tuple[str, ...]]:
        index = self._index
        present = set().union(*index.run_datasets.values()) | {c["dataset"] for c in index.counts}
        configs = {"all": (SPLIT,)}
        configs.update({name: (SPLIT,) for name in DATASETS if name in present})
        configs["counts"] = (SPLIT,)
        return configs

    def features(self, hub_config: str) -> datasets.Features:
        return COUNT_FEATURES if hub_config == "counts" else SAMPLE_FEATURES

    # -- pass 2: stream the rows, one run at a time -----------------------------------------------------------
    def generate(self, hub_config: str, split: str) -> Iterator[dict[str, Any]]:
        index = self._index
        if hub_config == "counts":
            yield from index.counts
            return
        for run_dir in map(Path, self.config.runs):
            if hub_config != "all" and hub_config not in index.run_datasets[str(run_dir)]:
                continue
            run = read_run(run_dir)
            for sample in run.samples:
                others = index.duplicate_ids.get(sample["id"])
                if others is None:  # correct, or a repeat of an earlier wrong sample
                    continue
                row = _row(run, sample, others)
                if hub_config in ("all", row["dataset"]):
                    yield row

    def row_statistics(self) -> MWPESStatistics:
        return MWPESStatistics(self._index.other_labels)

    def sources(self) -> list[SourceInfo]:
        return self._index.sources


@dataclass
class _Index:
    """What the first pass over the runs learns."""

    #: id of the first sample of each distinct wrong solution -> ids of its identical repeats
    duplicate_ids: dict[str, list[str]] = field(default_factory=dict)
    #: run folder -> source datasets of its wrong samples
    run_datasets: dict[str, set[str]] = field(default_factory=dict)
    counts: list[dict[str, Any]] = field(default_factory=list)
    sources: list[SourceInfo] = field(default_factory=list)
    #: folded repeats whose human labels differ from those of the row kept
    other_labels: int = 0


def _duplicate_key(sample: dict[str, Any]) -> bytes:
    """Samples of one problem, model and strategy with the same solution (whitespace folded) and the same
    ``source_id`` share this key: records a source tells apart by their own ids stay apart; an ingested record
    without one has a content hash as ``source_id``, so its identical repeats are folded.

    Example:
        >>> a = {"id": "gsm8k/p1/m/published/x", "solution": "1 + 1 = 2", "source_id": "u1"}
        >>> _duplicate_key(a) == _duplicate_key({**a, "solution": " 1 +  1 = 2"})
        True
        >>> _duplicate_key(a) == _duplicate_key({**a, "source_id": "u2"})
        False
    """
    text = f"{sample['id'].rsplit('/', 1)[0]}\n{sample.get('source_id') or ''}\n{_normalised(sample['solution'])}"
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _labels(sample: dict[str, Any]) -> tuple[Any, ...]:
    return (sample.get("label_first_error_step"), sample.get("label_error_type"))


def _source_info(run_dir: Path, run: Run) -> SourceInfo:
    config = run.config
    return SourceInfo(
        uri=str(run_dir),
        sha256=sha256_file(run_dir / SAMPLES_FILE) if (run_dir / SAMPLES_FILE).exists() else None,
        description=f"{config.get('kind', 'run')} run: {len(run.samples):,} samples of "
        f"{config.get('model') or ', '.join(config.get('models', []))} on {config.get('dataset')}"
        f" ({CONFIG_FILE}: {config.get('strategy_key') or ', '.join(config.get('strategies', []))})",
    )


def _row(run: Run, sample: dict[str, Any], duplicate_ids: list[str]) -> dict[str, Any]:
    """One row of :data:`SAMPLE_FEATURES`: a wrong sample with its problem."""
    problem = run.problems[sample["problem_id"]]
    return {
        "sample_id": sample["id"],
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
        "duplicates": 1 + len(duplicate_ids),
        "duplicate_ids": list(duplicate_ids),
        "source_id": sample.get("source_id") or sample["id"],
        "label_first_error_step": sample.get("label_first_error_step"),
        "label_error_type": sample.get("label_error_type"),
    }


_SUMMED = ("samples", "correct", "wrong", "no_answer", "unique_wrong")


class MWPESStatistics(RowStatistics):
    """Error rates per model / dataset / strategy (from ``counts``) and row counts (from ``all``), row by row."""

    def __init__(self, other_labels: int = 0) -> None:
        self.other_labels = other_labels
        self.counts: list[dict[str, Any]] = []
        self.rows = self.wrong_samples = self.judge_wrong_published_correct = 0
        self.rows_by: dict[str, Counter[str]] = {key: Counter() for key in ("model", "dataset", "strategy")}

    def update(self, hub_config: str, split: str, row: dict[str, Any]) -> None:
        if hub_config == "counts":
            self.counts.append({k: row[k] for k in ("model", "dataset", "strategy", *_SUMMED, "published",
                                                    "published_wrong")})
        elif hub_config == "all":
            self.rows += 1
            self.wrong_samples += row["duplicates"]
            # wrong by knowbench's judge but marked correct by the published label (samples)
            self.judge_wrong_published_correct += row["duplicates"] if row["published_label"] is True else 0
            for key, counter in self.rows_by.items():
                counter[row[key]] += 1

    def _group(self, keys: tuple[str, ...]) -> list[dict[str, Any]]:
        out: dict[tuple[Any, ...], dict[str, Any]] = {}
        for c in self.counts:
            entry = out.setdefault(tuple(c[k] for k in keys), {**{k: c[k] for k in keys}, **dict.fromkeys(_SUMMED, 0)})
            for name in _SUMMED:
                entry[name] += c[name]
        for entry in out.values():
            entry["error_rate"] = entry["wrong"] / entry["samples"] if entry["samples"] else 0.0
        return [out[k] for k in sorted(out)]

    def result(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "wrong_samples": self.wrong_samples,
            "duplicates_removed": self.wrong_samples - self.rows,
            "duplicates_with_other_labels": self.other_labels,
            "samples": sum(c["samples"] for c in self.counts),
            "correct": sum(c["correct"] for c in self.counts),
            "no_answer": sum(c["no_answer"] for c in self.counts),
            "per_model": self._group(("model",)),
            "per_dataset": self._group(("dataset",)),
            "per_strategy": self._group(("strategy",)),
            "per_model_dataset_strategy": self._group(("model", "dataset", "strategy")),
            "rows_per_model": dict(sorted(self.rows_by["model"].items())),
            "rows_per_dataset": dict(sorted(self.rows_by["dataset"].items())),
            "rows_per_strategy": dict(sorted(self.rows_by["strategy"].items())),
            "published": sum(c["published"] for c in self.counts),
            "published_wrong": sum(c["published_wrong"] for c in self.counts),
            "judge_wrong_published_correct": self.judge_wrong_published_correct,
            "datasets": [name for name in DATASETS if name in self.rows_by["dataset"]],
        }


BUILDER = MWPESBuilder
