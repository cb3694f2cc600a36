"""Closed-book QA (CBQA) retention per fact, as measured by the SMI paper (arXiv 2502.04066).

For every fact, each paraphrased cloze template of its relation (``[S]`` = subject) is sent as a raw prompt to a
model backend; ``samples`` continuations are sampled (temperature 0.7, 32 new tokens in the paper) and one is
correct when it contains the object string. A fact's accuracy is the mean over its templates and samples.

Runs are resumable: every finished (fact, template) pair is appended to ``RUN/samples.jsonl`` (a
:class:`~knowbench.io.RunLog`); ``RUN/config.json`` must match on resume; ``RUN/accuracy.jsonl`` is written at the
end (one line per fact: subject, relation, object, fact_id, accuracy, samples).

Example (``load_backend("transformers:smollm2")`` for a real model; here a backend that always says " Paris"):
    >>> import tempfile
    >>> from knowbench.backends.base import Completion
    >>> class Paris(ModelBackend):
    ...     def chat(self, conversations, config, tools=None): raise NotImplementedError
    ...     def complete(self, prompts, config): return [[Completion(" Paris")] * config.n for _ in prompts]
    >>> templates = {"capital": ("The capital of [S] is", "[S] has its capital in")}
    >>> facts = [Triple("France", "capital", "Paris"), Triple("Italy", "capital", "Rome")]
    >>> results = run_cbqa(facts, templates, Paris(), tempfile.mkdtemp(), CBQAConfig(samples=2))
    >>> [(r.fact.subject, r.accuracy, r.samples) for r in results]
    [('France', 1.0, 4), ('Italy', 0.0, 4)]
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowbench.backends.base import GenerationConfig, ModelBackend
from knowbench.datasets_src.triples.types import Triple
from knowbench.errors import ConfigError, SourceFormatError
from knowbench.io import RunFolder, RunLog, atomic_write_jsonl, iter_jsonl


@dataclass(frozen=True)
class CBQAConfig:
    """Sampling and scoring settings (the paper: 20 templates x 20 samples, temperature 0.7, 32 new tokens)."""

    samples: int = 20
    temperature: float = 0.7
    max_new_tokens: int = 32
    templates_per_fact: int | None = None  # None: all templates of the relation
    batch_prompts: int = 32
    ignore_case: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        if self.samples < 1 or self.batch_prompts < 1 or self.max_new_tokens < 1:
            raise ConfigError(f"samples, batch_prompts and max_new_tokens must be >= 1: {self}")
        if self.templates_per_fact is not None and self.templates_per_fact < 1:
            raise ConfigError(f"templates_per_fact must be >= 1, got {self.templates_per_fact}")


def is_correct(continuation: str, obj: str, ignore_case: bool = False) -> bool:
    """The paper's rule: the continuation contains the object string.

    Example:
        >>> is_correct(" in Paris, France.", "France"), is_correct(" in french lands", "France")
        (True, False)
    """
    return (obj.lower() in continuation.lower()) if ignore_case else (obj in continuation)


@dataclass(frozen=True)
class FactAccuracy:
    fact: Triple
    accuracy: float
    correct: int
    samples: int

    def to_row(self) -> dict[str, Any]:
        f = self.fact
        return {"subject": f.subject, "relation": f.relation, "object": f.object, "fact_id": f.fact_id,
                "accuracy": self.accuracy, "correct": self.correct, "samples": self.samples}


def _items(facts: Sequence[Triple], templates: dict[str, tuple[str, ...]], per_fact: int | None) -> list[tuple[str, Triple, int, str]]:
    items = []
    for fact in facts:
        if fact.relation not in templates:
            known = ", ".join(sorted(templates)[:8])
            raise ConfigError(f"no templates for relation {fact.relation!r} (fact {fact.fact_id}); known: {known}...")
        for number, template in enumerate(templates[fact.relation][:per_fact]):
            items.append((f"{fact.fact_id}|{number}", fact, number, template.replace("[S]", fact.subject)))
    return items


#: the kind of run folder ``knowbench eval cbqa`` writes
RUN_KIND = "triples-cbqa"


def check_cbqa_run(run_dir: str | os.PathLike[str], config: CBQAConfig) -> None:
    """Before a model is loaded: refuse a run folder that holds a run with other settings (RunStateError)."""
    RunFolder.check(run_dir, dataclasses.asdict(config), RUN_KIND, partial=True)


def run_cbqa(
    facts: Sequence[Triple],
    templates: dict[str, tuple[str, ...]],
    backend: ModelBackend,
    run_dir: str | os.PathLike[str],
    config: CBQAConfig = CBQAConfig(),
    show_progress: bool = False,
) -> list[FactAccuracy]:
    """Sample every (fact, template) not yet in the run log, then write and return per-fact accuracies."""
    run_dir = Path(run_dir)
    wanted = {**dataclasses.asdict(config), "model": getattr(backend, "model_name", "unknown")}
    log = RunFolder(run_dir, wanted, kind=RUN_KIND).log("samples.jsonl")
    done = log.done_ids()
    items = _items(facts, templates, config.templates_per_fact)
    pending = [item for item in items if item[0] not in done]
    generation = GenerationConfig(temperature=config.temperature, max_new_tokens=config.max_new_tokens,
                                  n=config.samples)
    progress = task = None
    if show_progress and pending:
        from knowbench.progress import make_progress

        progress = make_progress()
        progress.start()
        task = progress.add_task("cbqa prompts", total=len(pending))
    try:
        for start in range(0, len(pending), config.batch_prompts):
            batch = pending[start : start + config.batch_prompts]
            seeded = dataclasses.replace(generation, seed=config.seed + len(done) + start)
            outputs = backend.complete([prompt for *_, prompt in batch], seeded)
            records = []
            for (item_id, fact, number, prompt), completions in zip(batch, outputs, strict=True):
                texts = [c.text for c in completions]
                correct = sum(is_correct(t, fact.object, config.ignore_case) for t in texts)
                records.append({"id": item_id, "fact_id": fact.fact_id, "template": number, "prompt": prompt,
                                "object": fact.object, "n": len(texts), "correct": correct, "outputs": texts})
            log.extend(records)
            if progress:
                progress.advance(task, len(batch))
    finally:
        if progress:
            progress.stop()
    return write_accuracy(run_dir, facts, log)


def write_accuracy(run_dir: Path, facts: Sequence[Triple], log: RunLog) -> list[FactAccuracy]:
    totals: dict[str, list[int]] = {}
    for record in log.records():
        entry = totals.setdefault(record["fact_id"], [0, 0])
        entry[0] += int(record["correct"])
        entry[1] += int(record["n"])
    results = []
    for fact in facts:
        correct, samples = totals.get(fact.fact_id, (0, 0))
        if samples:
            results.append(FactAccuracy(fact, correct / samples, correct, samples))
    atomic_write_jsonl(run_dir / "accuracy.jsonl", (r.to_row() for r in results))
    return results


def read_accuracy(path: str | os.PathLike[str]) -> dict[tuple[str, str, str], float]:
    """(subject, relation, object) -> accuracy from ``accuracy.jsonl`` (a run folder or file; ``acc`` accepted)
    or from a released SMI ``merge_outputs`` JSON list (``subj``, ``rel``, ``obj``, ``acc``)."""
    path = Path(path)
    if path.is_dir():
        path = path / "accuracy.jsonl"
    if path.name.endswith((".json", ".json.gz")):
        from knowbench.training.triples.reproduce import load_merge_output

        table = load_merge_output(path)
        return dict(zip(zip(table.subjects, table.relations, table.objects, strict=True), table.accuracy.tolist(),
                        strict=True))
    out = {}
    for number, row in iter_jsonl(path):
        value = row.get("accuracy", row.get("acc"))
        key = (row.get("subject"), row.get("relation"), row.get("object"))
        if not isinstance(value, int | float) or not all(isinstance(k, str) for k in key):
            raise SourceFormatError(path, f"line {number}", "needs subject, relation, object and a numeric accuracy")
        out[key] = float(value)
    return out
