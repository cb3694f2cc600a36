"""Count facts over a corpus on one machine (``workers`` processes) and write ``counts.jsonl``.

Shards (see :mod:`knowbench.datasets_src.triples.corpus`) go to a process pool; XML dumps are read by the parent, which hands
batches of raw pages to the workers (they clean and count). Each task returns additive
:class:`~knowbench.datasets_src.triples.count.RawCounts`; their sum is exactly the count of one serial pass.

Example:
    >>> import json, pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> texts = ["The capital of France is Paris.", "Paris, Texas", "In Paris, Texas", "Vive la France"]
    >>> _ = (folder / "wiki.jsonl").write_text("".join(json.dumps({"text": t}) + "\\n" for t in texts))
    >>> result = count_corpus([Triple("Paris", "capital of", "France")], [folder / "wiki.jsonl"])
    >>> write_counts(folder / "counts", result).name
    'counts.jsonl'
    >>> table = read_counts(folder / "counts")
    >>> table.n_docs.tolist(), table.n_s.tolist(), table.n_o.tolist(), table.n_so.tolist()
    ([4], [2], [2], [1])
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowbench.datasets_src.triples.corpus import Shard, iter_shard, iter_wiki_pages, plan_shards
from knowbench.datasets_src.triples.count import FactIndex, MatchMode, RawCounts
from knowbench.datasets_src.triples.types import Triple
from knowbench.errors import ConfigError, SourceFormatError
from knowbench.io import atomic_dir, atomic_write_json, atomic_write_jsonl, iter_jsonl, read_json

COUNT_FIELDS = ("n_docs", "n_s", "n_o", "n_so")
_PAGE_BATCH = 64

_WORKER_INDEX: FactIndex | None = None


@dataclass
class CountResult:
    """Counts of one corpus: the index (facts, mode) and the summed raw counts."""

    index: FactIndex
    raw: RawCounts
    seconds: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    def rows(self) -> Iterator[dict[str, Any]]:
        arrays = {k: v.tolist() for k, v in self.raw.fact_arrays(self.index).items()}
        for number, fact in enumerate(self.index.facts):
            yield {
                "subject": fact.subject, "relation": fact.relation, "object": fact.object,
                "subject_id": fact.subject_id, "relation_id": fact.relation_id, "object_id": fact.object_id,
                "fact_id": fact.fact_id, **{k: arrays[k][number] for k in COUNT_FIELDS},
            }


def _init_worker(index: FactIndex) -> None:
    global _WORKER_INDEX
    _WORKER_INDEX = index


def _run_task(task: tuple[str, Any]) -> RawCounts:
    index = _WORKER_INDEX
    assert index is not None, "worker not initialised"
    kind, payload = task
    if kind == "shard":
        return index.count(iter_shard(payload))
    if kind == "dataset":
        from knowbench.datasets_src.triples.corpus import iter_dataset_texts

        dataset, text_field = payload
        return index.count(iter_dataset_texts(dataset, text_field))
    if kind == "pages":
        from knowbench.datasets_src.evowiki.wikipedia import clean_text

        return index.count(clean_text(page) for page in payload)
    raise ConfigError(f"unknown task kind {kind!r}")


def _tasks(shards: Sequence[Shard], stream_xml: bool) -> Iterator[tuple[str, Any]]:
    for shard in shards:
        if shard.kind == "wikixml" and stream_xml:
            batch: list[str] = []
            for page in iter_wiki_pages(shard.path, clean=False):
                batch.append(page)
                if len(batch) == _PAGE_BATCH:
                    yield ("pages", batch)
                    batch = []
            if batch:
                yield ("pages", batch)
        else:
            yield ("shard", shard)


def _count_tasks(index: FactIndex, tasks: Iterable[tuple[str, Any]], workers: int, show_progress: bool) -> RawCounts:
    """Sum of the counts of ``tasks``, in this process (``workers == 1``) or a pool of ``workers`` processes."""
    total = RawCounts.zeros(index.n_entities, index.n_facts)
    with contextlib.ExitStack() as stack:
        progress = task = None
        if show_progress:
            from knowbench.progress import make_progress

            progress = make_progress(transient=True)
            progress.start()
            stack.callback(progress.stop)
            task = progress.add_task("counting (tasks)", total=None)
        if workers == 1:
            _init_worker(index)
            parts: Iterable[RawCounts] = map(_run_task, tasks)
        else:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            pool = stack.enter_context(context.Pool(workers, initializer=_init_worker, initargs=(index,)))
            parts = pool.imap_unordered(_run_task, tasks)
        for part in parts:
            total += part
            if progress is not None:
                progress.advance(task)
    return total


def count_result(index: FactIndex, total: RawCounts, seconds: float, **meta: Any) -> CountResult:
    """A :class:`CountResult` whose ``meta`` (``count_meta.json``) holds ``meta`` and the run's figures."""
    meta.update(n_docs=total.n_docs, n_bytes=total.n_bytes, facts=index.n_facts, entities=index.n_entities,
                patterns=len(index.pattern_bytes), seconds=round(seconds, 3))
    return CountResult(index, total, seconds, meta)


def count_corpus(
    facts: Sequence[Triple],
    sources: Sequence[str | os.PathLike[str]],
    mode: MatchMode = "paper",
    workers: int = 1,
    ignore_case: bool = False,
    text_field: str = "text",
    show_progress: bool = False,
) -> CountResult:
    """N, N_s, N_o, N_so of every fact over the documents of ``sources`` with ``workers`` processes."""
    if workers < 1:
        raise ConfigError(f"workers must be >= 1, got workers={workers}")
    index = FactIndex(facts, mode=mode, ignore_case=ignore_case)
    shards = plan_shards(sources, pieces=workers * 4 if workers > 1 else 1, text_field=text_field)
    started = time.perf_counter()
    total = _count_tasks(index, _tasks(shards, stream_xml=workers > 1), workers, show_progress)
    return count_result(index, total, time.perf_counter() - started, mode=mode, ignore_case=ignore_case,
                   text_field=text_field, workers=workers, sources=[str(s) for s in sources], shards=len(shards))


def count_dataset(
    facts: Sequence[Triple],
    dataset: Any,
    mode: MatchMode = "paper",
    workers: int = 1,
    text_field: str = "text",
) -> CountResult:
    """Count over an in-memory or loaded ``datasets.Dataset`` (column ``text_field``), in ``workers`` processes
    over contiguous shards of it."""
    if workers < 1:
        raise ConfigError(f"workers must be >= 1, got workers={workers}")
    if text_field not in dataset.column_names:
        raise ConfigError(f"the dataset has no column {text_field!r}; it has {dataset.column_names}")
    index = FactIndex(facts, mode=mode)
    pieces = max(1, min(len(dataset), workers * 4 if workers > 1 else 1))
    tasks = [("dataset", (dataset.shard(pieces, i, contiguous=True), text_field)) for i in range(pieces)]
    started = time.perf_counter()
    total = _count_tasks(index, tasks, workers, show_progress=False)
    return count_result(index, total, time.perf_counter() - started, mode=mode, text_field=text_field, workers=workers,
                   sources=["<dataset>"])


#: the kind of output folder ``knowbench count`` writes (named in its ``.knowbench-output.json``)
COUNTS_KIND = "counts"


def write_counts(out: str | os.PathLike[str], result: CountResult) -> Path:
    """Write ``OUT/counts.jsonl`` (one line per fact, in the facts' order) and ``OUT/count_meta.json``.

    Counts over no document at all are refused (a :class:`~knowbench.errors.SourceFormatError`) and leave a previous
    output as it was.
    """
    if result.raw.n_docs == 0:
        sources = ", ".join(map(str, result.meta.get("sources", ()))) or "the corpus"
        raise SourceFormatError(sources, None, "no documents to count; the previous output (if any) is kept")
    out = Path(out)
    with atomic_dir(out, kind=COUNTS_KIND) as tmp:  # a user's folder or file as --out is refused, never replaced
        atomic_write_jsonl(tmp / "counts.jsonl", result.rows())
        atomic_write_json(tmp / "count_meta.json", result.meta)
    return out / "counts.jsonl"


@dataclass(frozen=True)
class CountTable:
    """``counts.jsonl`` read back: facts, their count arrays, and ``count_meta.json`` beside it (``{}`` if none)."""

    facts: list[Triple]
    n_docs: np.ndarray
    n_s: np.ndarray
    n_o: np.ndarray
    n_so: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)


def read_counts(path: str | os.PathLike[str]) -> CountTable:
    """Read ``counts.jsonl`` (or a folder holding it); every record is checked (labels, non-negative counts)."""
    path = Path(path)
    if path.is_dir():
        path = path / "counts.jsonl"
    facts: list[Triple] = []
    columns: dict[str, list[int]] = {k: [] for k in COUNT_FIELDS}
    for number, row in iter_jsonl(path):
        labels = [row.get(key) for key in ("subject", "relation", "object")]
        if not all(isinstance(label, str) and label for label in labels):
            raise SourceFormatError(path, f"line {number}", f"needs non-empty strings subject, relation, object; "
                                    f"got {labels}")
        for key in COUNT_FIELDS:
            value = row.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise SourceFormatError(path, f"line {number}", f"{key}={value!r} is not a count")
            columns[key].append(value)
        facts.append(Triple(*labels, subject_id=row.get("subject_id"), relation_id=row.get("relation_id"),
                            object_id=row.get("object_id"), id=str(row.get("fact_id") or row.get("id") or "")))
    if not facts:
        raise SourceFormatError(path, None, "no counts records")
    meta_path = path.parent / "count_meta.json"
    meta = read_json(meta_path, dict, "a JSON object") if meta_path.is_file() else {}
    return CountTable(facts, *(np.asarray(columns[k], np.int64) for k in COUNT_FIELDS), meta=meta)
