"""EvoWiki evaluation: exact match against the latest answer and against every answer, per state and hop count,
and retrieval recall@k (an answer string inside one of the top-k passages), which needs no model.

Answers are normalised as in the SQuAD evaluation script (Rajpurkar et al., 2016, arXiv:1606.05250): lower case,
punctuation and the articles a/an/the removed, whitespace collapsed. Only the first line of a reply is scored.

Example:
    >>> normalize("The  Kremlin.")
    'kremlin'
"""

from __future__ import annotations

import re
import string
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from knowbench.errors import ConfigError, RunStateError
from knowbench.io import RunFolder, RunLog, atomic_write_json
from knowbench.loaders.evowiki import CorpusPassage, EvoWikiRow, load_corpus, load_rows

RAG_MODES = ("none", "bm25", "dense")
SYSTEM = "Answer the question with a short phrase only (a name, place or number), without explanation."
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize(text: str) -> str:
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split())


def first_line(text: str) -> str:
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def exact_match(prediction: str, names: Sequence[str]) -> bool:
    guess = normalize(first_line(prediction))
    return bool(guess) and any(guess == normalize(n) for n in names if n)


def contains(prediction: str, names: Sequence[str]) -> bool:
    guess = f" {normalize(first_line(prediction))} "
    return any(f" {normalize(n)} " in guess for n in names if n and normalize(n))


def passage_hit(passages: Sequence[CorpusPassage], names: Sequence[str]) -> bool:
    wanted = [f" {normalize(n)} " for n in names if n and normalize(n)]
    for passage in passages:
        text = f" {normalize(passage.title + ' ' + passage.text)} "
        if any(w in text for w in wanted):
            return True
    return False


def recall_at_k(
    rows: Sequence[EvoWikiRow], corpus: dict[str, CorpusPassage], retriever: str, k: int, names: str = "latest"
) -> float:
    """Share of ``rows`` whose top-``k`` passages of ``retriever`` contain a latest (or any) answer string."""
    if not rows:
        return 0.0
    hits = 0
    for row in rows:
        wanted = row.latest_names() if names == "latest" else row.all_names()
        hits += passage_hit([corpus[i] for i in row.retrieved(retriever)[:k] if i in corpus], wanted)
    return hits / len(rows)


def _groups(rows: Sequence[EvoWikiRow]) -> dict[str, list[EvoWikiRow]]:
    groups: dict[str, list[EvoWikiRow]] = defaultdict(list)
    for row in rows:
        groups["all"].append(row)
        groups[row.state].append(row)
        groups[f"{row.state}/{row.hops}hop"].append(row)
        groups[f"{row.hops}hop"].append(row)
    return dict(sorted(groups.items()))


def _prompt(row: EvoWikiRow, corpus: dict[str, CorpusPassage], rag: str, k: int) -> list[dict[str, str]]:
    content = f"Question: {row.question}\nAnswer:"
    if rag != "none":
        passages = [corpus[i] for i in row.retrieved(rag)[:k] if i in corpus]
        context = "\n".join(f"[{n + 1}] {p.title}: {p.text}" for n, p in enumerate(passages))
        content = f"Passages:\n{context}\n\n{content}"
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": content}]


def _plot(recall: dict[str, list[float]], ks: list[int], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5, 3.5))
    for name, values in recall.items():
        axis.plot(ks, values, marker="o", label=name)
    axis.set_xlabel("k")
    axis.set_ylabel("recall@k (latest answer)")
    axis.set_ylim(0, 1)
    axis.legend()
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def run_eval(
    data: str | Path,
    backend: str,
    out: str | Path,
    rag: str = "none",
    k: int = 5,
    limit: int | None = None,
    max_new_tokens: int = 24,
    batch_size: int = 8,
    progress: bool = False,
) -> dict[str, Any]:
    """Evaluate ``backend`` (``"none"``: retrieval only) on a built EvoWiki folder; writes ``report.json``,
    ``samples.jsonl`` (resumable) and ``recall.png`` into ``out``."""
    if rag not in RAG_MODES:
        raise ConfigError(f"rag must be one of {RAG_MODES}, got rag={rag!r}")
    if k < 1:
        raise ConfigError(f"k must be >= 1, got k={k}")
    rows = load_rows(data)
    if limit is not None:  # evenly spaced rows of each state (rows are grouped by subject: no one subject fills it)
        if limit < 1:
            raise ConfigError(f"limit must be >= 1, got limit={limit}")
        by_state: dict[str, list[EvoWikiRow]] = defaultdict(list)
        for row in rows:
            by_state[row.state].append(row)
        rows = [
            members[(i * len(members)) // min(limit, len(members))]
            for members in by_state.values()
            for i in range(min(limit, len(members)))
        ]
    corpus = load_corpus(data)
    retrievers = sorted({name for row in rows for name in row.retrieval})
    if rag != "none" and rag not in retrievers:
        raise ConfigError(f"{data}: no {rag} retrieval field; it has {retrievers}")
    out = Path(out)  # a user's folder, or another run's, is refused (one line) before anything is written
    RunFolder(out, {"backend": backend, "rag": rag, "k": k, "max_new_tokens": max_new_tokens}, kind="evowiki-eval")
    groups = _groups(rows)
    depth = max((len(r.retrieval[n]) for r in rows for n in retrievers), default=0)
    ks = sorted({x for x in (1, 3, 5, 10, 20, 30, k) if x <= max(depth, 1)})
    recall = {
        name: {g: {"latest": recall_at_k(rs, corpus, name, k), "all": recall_at_k(rs, corpus, name, k, "all")}
               for g, rs in groups.items()}
        for name in retrievers
    }
    curve = {name: [recall_at_k(rows, corpus, name, x) for x in ks] for name in retrievers}
    report: dict[str, Any] = {
        "data": str(data), "backend": backend, "rag": rag, "k": k, "rows": len(rows),
        "counts": {g: len(rs) for g, rs in groups.items()}, "recall_at_k": recall,
        "recall_curve": {"k": ks, **curve},
    }
    if curve:
        _plot(curve, ks, out / "recall.png")
    if backend != "none":
        report["answers"] = _generate(rows, corpus, backend, out, rag, k, max_new_tokens, batch_size, progress)
    atomic_write_json(out / "report.json", report)
    return report


def _generate(
    rows: Sequence[EvoWikiRow], corpus: dict[str, CorpusPassage], backend: str, out: Path, rag: str, k: int,
    max_new_tokens: int, batch_size: int, progress: bool,
) -> dict[str, dict[str, float]]:
    from knowbench.backends.base import GenerationConfig, load_backend

    log = RunLog(out / "samples.jsonl")
    settings = {"backend": backend, "rag": rag, "k": k, "max_new_tokens": max_new_tokens}
    for record in log.records():
        if record.get("settings") != settings:
            raise RunStateError(f"{log.path}: written with {record.get('settings')}, this run uses {settings}")
        break
    done = log.done_ids()
    todo = [r for r in rows if r.id not in done]
    if todo:
        model = load_backend(backend)
        config = GenerationConfig(max_new_tokens=max_new_tokens)
        try:
            from knowbench.progress import track

            batches = [todo[i : i + batch_size] for i in range(0, len(todo), batch_size)]
            for batch in track(batches, "evowiki eval", disable=not progress):
                replies = model.chat([_prompt(r, corpus, rag, k) for r in batch], config)
                log.extend([
                    {"id": r.id, "settings": settings, "prediction": reply[0].text if reply else ""}
                    for r, reply in zip(batch, replies, strict=True)
                ])
        finally:
            model.close()
    predictions = {rec["id"]: rec["prediction"] for rec in log.records()}
    result = {}
    for group, members in _groups(rows).items():
        n = len(members)
        outdated = [r for r in members if r.state == "evolved"]
        result[group] = {
            "n": n,
            "em_latest": sum(exact_match(predictions[r.id], r.latest_names()) for r in members) / n,
            "em_all": sum(exact_match(predictions[r.id], r.all_names()) for r in members) / n,
            "contains_latest": sum(contains(predictions[r.id], r.latest_names()) for r in members) / n,
            "contains_all": sum(contains(predictions[r.id], r.all_names()) for r in members) / n,
            # evolved questions answered with a value that is no longer in force
            "outdated": (sum(contains(predictions[r.id], [a for v in r.all_answers if not v.current
                                                           for a in v.names()]) for r in outdated) / len(outdated))
            if outdated else 0.0,
        }
    return result
