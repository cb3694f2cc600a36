"""Resumable collection of judged model solutions into a run folder (see :mod:`.runs`).

Problems are cut into fixed blocks of ``batch_size`` (block ``k`` = problems ``k*B .. k*B+B-1``); each block is
generated in one backend call and its judged samples are appended to ``samples.jsonl`` in one durable write. A
resumed run skips every sample id already in the log and regenerates only what is missing, block by block, so a
run killed at any moment (SIGKILL included) ends with exactly the samples of an uninterrupted run: same ids and,
with greedy decoding, the same texts. Sampled runs seed each block from ``seed`` and the block index.

Example:
    >>> cfg = CollectConfig(dataset="gsm8k", backend="transformers:smollm2", strategy="sample", temperature=0.7,
    ...                     top_p=0.95, samples=4)
    >>> cfg.strategy_key
    'sample-t0.7-p0.95'
    >>> CollectConfig(dataset="gsm8k", backend="x:y", strategy="greedy", samples=2)
    Traceback (most recent call last):
    ...
    knowbench.errors.ConfigError: greedy decoding gives one sample per problem, got samples=2
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from knowbench.backends.base import GenerationConfig, ModelBackend
from knowbench.datasets_src.mwpes.judge import judge
from knowbench.datasets_src.mwpes.prompts import PROMPT_VERSION, build_messages
from knowbench.datasets_src.mwpes.runs import open_run, sample_id
from knowbench.datasets_src.mwpes.schema import DATASETS, Problem
from knowbench.errors import ConfigError
from knowbench.io import SourceInfo

STRATEGIES = ("greedy", "sample")


@dataclass(frozen=True)
class CollectConfig:
    """What one collection run generates. ``limit`` and ``batch_size`` may change when a run is resumed."""

    dataset: str
    backend: str
    strategy: str = "greedy"
    temperature: float = 0.0
    top_p: float = 1.0
    samples: int = 1
    max_new_tokens: int = 512
    few_shot: int = 0
    limit: int | None = None
    batch_size: int = 8
    seed: int = 0

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise ConfigError(f"unknown dataset {self.dataset!r}; known: {', '.join(DATASETS)}")
        if self.strategy not in STRATEGIES:
            raise ConfigError(f"strategy must be one of {', '.join(STRATEGIES)}, got strategy={self.strategy!r}")
        if self.samples < 1:
            raise ConfigError(f"samples must be >= 1, got samples={self.samples}")
        if self.strategy == "greedy":
            if self.samples != 1:
                raise ConfigError(f"greedy decoding gives one sample per problem, got samples={self.samples}")
            if self.temperature != 0:
                raise ConfigError(f"greedy decoding has temperature 0, got temperature={self.temperature}")
        elif self.temperature <= 0:
            raise ConfigError(f"sampling needs a temperature > 0, got temperature={self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p must be in (0, 1], got top_p={self.top_p}")
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"limit must be >= 1, got limit={self.limit}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got batch_size={self.batch_size}")
        if self.max_new_tokens < 1:
            raise ConfigError(f"max_new_tokens must be >= 1, got max_new_tokens={self.max_new_tokens}")

    @property
    def strategy_key(self) -> str:
        """The strategy as it appears in sample ids: ``greedy`` or ``sample-t0.7-p0.95`` (``-fs4`` if few-shot)."""
        key = "greedy" if self.strategy == "greedy" else f"sample-t{self.temperature:g}-p{self.top_p:g}"
        return f"{key}-fs{self.few_shot}" if self.few_shot else key


@dataclass
class CollectReport:
    """What one invocation did: samples already there, added now, wrong among all, and speed."""

    total: int
    already_done: int
    added: int = 0
    wrong: int = 0
    seconds: float = 0.0
    completion_tokens: int = 0
    model: str = ""
    wrong_ids: list[str] = field(default_factory=list)

    @property
    def samples_per_second(self) -> float:
        return self.added / self.seconds if self.seconds else 0.0


def _record(problem: Problem, config: CollectConfig, model: str, index: int, completion: Any) -> dict[str, Any]:
    verdict = judge(problem, completion.text)
    return {
        "id": sample_id(problem.dataset, problem.problem_id, model, config.strategy_key, index),
        "dataset": problem.dataset,
        "problem_id": problem.problem_id,
        "model": model,
        "strategy": config.strategy,
        "temperature": config.temperature,
        "top_p": config.top_p,
        "sample_index": index,
        "prompt_style": f"few-shot-{config.few_shot}" if config.few_shot else "zero-shot-cot",
        "solution": completion.text,
        "extracted_answer": verdict.extracted,
        "verdict": verdict.label,
        "judge_method": verdict.method,
        "published_label": None,
        "finish_reason": completion.finish_reason or None,
        "completion_tokens": completion.completion_tokens,
    }


def check_resumable(out: str | os.PathLike[str], config: CollectConfig) -> None:
    """Before loading any model: refuse a run folder that holds a run with other settings (RunStateError)."""
    from knowbench.datasets_src.mwpes.runs import RESUMABLE_KEYS, run_kind
    from knowbench.io import RunFolder

    asked = {"kind": "collect", **asdict(config)}
    RunFolder.check(out, asked, run_kind(asked), volatile=tuple(RESUMABLE_KEYS), partial=True)


def collect(
    problems: Sequence[Problem],
    config: CollectConfig,
    out: str | os.PathLike[str],
    backend: ModelBackend,
    source: SourceInfo | None = None,
    show_progress: bool = True,
) -> CollectReport:
    """Generate, judge and durably log every missing sample of ``problems[:limit]`` into the run folder ``out``."""
    check_resumable(out, config)
    model = backend.model_name
    run_config = {
        "kind": "collect",
        **asdict(config),
        "strategy_key": config.strategy_key,
        "model": model,
        "prompt_version": PROMPT_VERSION,
        "source": asdict(source) if source else None,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    log = open_run(out, run_config, problems)
    done = log.done_ids()
    chosen = list(problems[: config.limit] if config.limit else problems)
    ids = {p.problem_id: [sample_id(p.dataset, p.problem_id, model, config.strategy_key, i) for i in range(config.samples)] for p in chosen}
    total = len(chosen) * config.samples
    report = CollectReport(total=total, already_done=sum(sid in done for v in ids.values() for sid in v), model=model)
    batch = config.batch_size if backend.supports_batching else 1
    progress = task = None
    if show_progress:
        from rich.progress import TextColumn

        from knowbench.progress import make_progress

        progress = make_progress(TextColumn("{task.fields[speed]} | wrong {task.fields[wrong]}"))
        progress.start()
        task = progress.add_task(f"{config.dataset} {model} {config.strategy_key}", total=total,
                                 completed=report.already_done, speed="-", wrong="-")
    started = time.perf_counter()
    try:
        for block_start in range(0, len(chosen), batch):
            block = chosen[block_start : block_start + batch]
            missing = {p.problem_id: [i for i, sid in enumerate(ids[p.problem_id]) if sid not in done] for p in block}
            # one backend call per distinct number of missing samples (normally one call per block)
            for count in sorted({len(m) for m in missing.values() if m}):
                group = [p for p in block if len(missing[p.problem_id]) == count]
                seed = None if config.strategy == "greedy" else config.seed * 1_000_003 + block_start + count
                generation = GenerationConfig(
                    temperature=config.temperature, top_p=config.top_p, max_new_tokens=config.max_new_tokens,
                    n=count, seed=seed,
                )
                outputs = backend.chat([build_messages(p, config.few_shot) for p in group], generation)
                records = [
                    _record(problem, config, model, index, completion)
                    for problem, completions in zip(group, outputs, strict=True)
                    for index, completion in zip(missing[problem.problem_id], completions, strict=True)
                ]
                log.extend(records)
                report.added += len(records)
                report.completion_tokens += sum(r["completion_tokens"] or 0 for r in records)
                report.wrong += sum(r["verdict"] != "correct" for r in records)
                report.wrong_ids.extend(r["id"] for r in records if r["verdict"] != "correct")
                if progress is not None:
                    elapsed = time.perf_counter() - started
                    progress.update(task, advance=len(records), speed=f"{report.added / elapsed:.2f} samples/s",
                                    wrong=f"{report.wrong / report.added:.0%}")
    finally:
        report.seconds = time.perf_counter() - started
        if progress is not None:
            progress.stop()
    return report
