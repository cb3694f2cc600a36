"""Error-aware prompting (EAP): show a model the errors others made on the most similar problems.

The error memory holds, for every clustered error, its problem's question embedding, its category and its analysis.
For a new problem, the ``k`` most similar remembered problems (cosine of question embeddings) give their errors'
categories and analyses, which are added to the prompt as mistakes to avoid. :func:`evaluate_eap` splits the
problems of an MWPES folder by problem id into a memory part and a held-out part, and measures the accuracy of a
backend on the held-out problems with and without the hints, judged by knowbench's MWPES judge.

Example:
    >>> from knowbench.training.mwpes.eap import eap_hint
    >>> eap_hint([{"category_name": "wrong operation", "text": "division instead of multiplication"}])
    'Mistakes made on similar problems (avoid them):\\n- wrong operation: division instead of multiplication'
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowbench.errors import ConfigError
from knowbench.io import RunFolder, atomic_write_json
from knowbench.training.mwpes.embedders import make_embedder
from knowbench.training.mwpes.models import _unit
from knowbench.training.mwpes.runs import read_assignments
from knowbench.training.mwpes.samples import ErrorSample
from knowbench.training.mwpes.taxonomy import Taxonomy


def eap_hint(errors: Sequence[dict[str, Any]], max_chars: int = 220) -> str:
    """The hint block added to the prompt."""
    lines = [f"- {e['category_name']}: {e['text'][:max_chars]}" for e in errors]
    return "Mistakes made on similar problems (avoid them):\n" + "\n".join(lines)


def held_out(problem_id: str, fraction: float, seed: int = 0) -> bool:
    """Deterministic split of problems by id: ``True`` for the held-out ``fraction``."""
    digest = hashlib.sha256(f"{seed}:{problem_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


class ErrorMemory:
    """Errors of the memory problems, retrievable by question similarity.

    Example:
        >>> memory = ErrorMemory(samples, records, taxonomy)  # doctest: +SKIP
        >>> memory.retrieve(["How many eggs ..."], k=2)[0][0]["category_name"]  # doctest: +SKIP
    """

    def __init__(self, samples: Sequence[ErrorSample], records: Sequence[dict[str, Any]], taxonomy: Taxonomy,
                 embedder: Any = "minilm", per_problem: int = 1) -> None:
        self.embedder = make_embedder(embedder) if isinstance(embedder, str) else embedder
        by_id = {r["sample_id"]: r for r in records}
        names = {c.id: c.name for c in taxonomy.categories}
        entries: dict[str, list[dict[str, Any]]] = {}
        for sample in samples:
            record = by_id.get(sample.sample_id)
            if record is None:
                continue
            category = taxonomy.resolve(int(record["category"]))
            entries.setdefault(sample.question, []).append({
                "sample_id": sample.sample_id, "problem_id": sample.problem_id, "category": category,
                # the hint: the kind (the category's name) and this error's own evidence, specifics included
                "category_name": names.get(category, "uncategorised error"),
                "text": record.get("evidence") or record.get("text", ""),
            })
        if not entries:
            raise ConfigError("the error memory is empty: no memory sample has an assignment in the run")
        self.questions = list(entries)
        self.errors = [entries[q][:per_problem] for q in self.questions]
        self.vectors = _unit(np.asarray(self.embedder.embed(self.questions), dtype=np.float32))

    def retrieve(self, questions: Sequence[str], k: int = 2) -> list[list[dict[str, Any]]]:
        query = _unit(np.asarray(self.embedder.embed(list(questions)), dtype=np.float32))
        similarity = query @ self.vectors.T
        out = []
        for row in similarity:
            top = np.argsort(-row)[:k]
            out.append([dict(e, similarity=round(float(row[i]), 4)) for i in top for e in self.errors[i]])
        return out


@dataclass
class EAPReport:
    problems: int
    accuracy_plain: float
    accuracy_eap: float
    correct_plain: int
    correct_eap: int
    backend: str
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))


def _problem(sample: ErrorSample) -> Any:
    from knowbench.datasets_src.mwpes.schema import Problem

    return Problem(sample.dataset, sample.problem_id, sample.question, sample.gold_answer, sample.gold_solution,
                   options=tuple(sample.extra.get("options") or ()), level=sample.extra.get("level"),
                   type=sample.extra.get("type"))


def evaluate_eap(
    samples: Sequence[ErrorSample],
    run_dir: str | os.PathLike[str],
    backend: Any,
    out: str | os.PathLike[str],
    limit: int = 20,
    k: int = 2,
    held_out_fraction: float = 0.2,
    max_new_tokens: int = 256,
    embedder: Any = "minilm",
    show_progress: bool = True,
) -> EAPReport:
    """Accuracy of ``backend`` on ``limit`` held-out problems, plain and with EAP hints; resumable in ``out``.

    Every generation is appended to ``out/generations.jsonl`` (one line per problem and condition), so an
    interrupted evaluation resumes; ``out/report.json`` holds the accuracies.
    """
    from knowbench.backends import GenerationConfig, load_backend
    from knowbench.datasets_src.mwpes.judge import judge
    from knowbench.datasets_src.mwpes.prompts import build_messages
    from knowbench.progress import track

    run_dir, out = Path(run_dir), Path(out)
    taxonomy = Taxonomy.load(run_dir / "taxonomy.json")
    records = read_assignments(run_dir)
    memory_samples = [s for s in samples if not held_out(s.problem_id, held_out_fraction)]
    test: dict[str, ErrorSample] = {}
    for s in samples:
        if held_out(s.problem_id, held_out_fraction):
            test.setdefault(s.problem_id, s)
    problems = sorted(test.values(), key=lambda s: s.problem_id)[:limit]
    if not problems:
        raise ConfigError(f"no held-out problems (held_out_fraction={held_out_fraction}, {len(samples)} samples)")
    memory = ErrorMemory(memory_samples, records, taxonomy, embedder=embedder)
    hints = memory.retrieve([p.question for p in problems], k=k)
    settings = {"taxonomy": str(run_dir), "k": k, "held_out_fraction": held_out_fraction,
                "max_new_tokens": max_new_tokens,
                "backend": backend if isinstance(backend, str) else getattr(backend, "model_name", type(backend).__name__)}
    run = RunFolder(out, settings, kind="mwpes-eap")  # before the model loads: another run's folder is refused
    model = load_backend(backend) if isinstance(backend, str) else backend
    log = run.log("generations.jsonl")
    done = {r["id"]: r for r in log.records()}
    config = GenerationConfig(max_new_tokens=max_new_tokens)
    started = time.perf_counter()
    jobs = []
    for sample, errors in zip(problems, hints, strict=True):
        messages = build_messages(_problem(sample))
        for condition in ("plain", "eap"):
            key = f"{sample.problem_id}/{condition}"
            if key in done:
                continue
            chat = [dict(m) for m in messages]
            if condition == "eap":
                chat[-1]["content"] = f"{eap_hint(errors)}\n\n{chat[-1]['content']}"
            jobs.append((key, sample, condition, chat, errors))
    batch = max(1, int(getattr(model, "batch_size", 1)))
    for start in track(range(0, len(jobs), batch), "EAP generations", disable=not show_progress):
        part = jobs[start:start + batch]
        completions = model.chat([j[3] for j in part], config)
        for (key, sample, condition, _, errors), completion in zip(part, completions, strict=True):
            verdict = judge(_problem(sample), completion[0].text)
            record = {"id": key, "problem_id": sample.problem_id, "condition": condition,
                      "correct": bool(verdict.correct), "answer": verdict.extracted, "gold": sample.gold_answer,
                      "hints": [e["sample_id"] for e in errors] if condition == "eap" else [],
                      "completion": completion[0].text}
            log.append(record)
            done[key] = record
    results = [done[f"{s.problem_id}/{c}"] for s in problems for c in ("plain", "eap")]
    plain = sum(r["correct"] for r in results if r["condition"] == "plain")
    eap = sum(r["correct"] for r in results if r["condition"] == "eap")
    report = EAPReport(len(problems), plain / len(problems), eap / len(problems), plain, eap,
                       getattr(model, "model_name", str(backend)), round(time.perf_counter() - started, 2))
    atomic_write_json(out / "report.json", report.to_json())
    return report
