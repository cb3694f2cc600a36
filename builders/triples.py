"""Knowledge-triples builder: facts (config ``facts``) and their document counts, one config per corpus.

Facts come from any :func:`knowbench.datasets_src.triples.read_facts` source (the SMI paper's 12,671-fact list,
ParaRel/T-REx, Wikidata entities, a facts JSONL). Counts come from ``knowbench count`` outputs
(``counts=("wiki=out/counts",)``) or are counted during the build (``corpora=("wiki=a.jsonl,b.jsonl",)``); each
corpus becomes a config with N, N_s, N_o, N_so and MI per fact (arXiv 2502.04066).

Example:
    >>> import pathlib
    >>> from knowbench.builders import get_builder
    >>> demo = pathlib.Path(__file__).resolve().parents[1] / "examples" / "triples"
    >>> builder = get_builder("triples", facts=str(demo / "trex"), corpora=(f"demo={demo / 'corpus.jsonl'}",))
    >>> list(builder.hub_configs())
    ['facts', 'demo']
    >>> stats = builder.row_statistics()
    >>> for config in builder.hub_configs():
    ...     for row in builder.generate(config, "train"):
    ...         stats.update(config, "train", row)
    >>> stats.result()["facts"] == sum(1 for _ in builder.generate("facts", "train"))
    True
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import datasets
import numpy as np

from knowbench.builders.base import BuilderConfig, DatasetBuilder, RowStatistics, SourceInfo
from knowbench.datasets_src.triples import Triple, read_facts
from knowbench.errors import ConfigError, SourceFormatError
from knowbench.io import sha256_file

FACT_FEATURES = datasets.Features(
    {
        "fact_id": datasets.Value("string"),
        "subject": datasets.Value("string"),
        "relation": datasets.Value("string"),
        "object": datasets.Value("string"),
        "subject_id": datasets.Value("string"),
        "relation_id": datasets.Value("string"),
        "object_id": datasets.Value("string"),
        "subject_aliases": datasets.List(datasets.Value("string")),
        "object_aliases": datasets.List(datasets.Value("string")),
        "source": datasets.Value("string"),
    }
)
COUNT_FEATURES = datasets.Features(
    {
        "fact_id": datasets.Value("string"),
        "subject": datasets.Value("string"),
        "relation": datasets.Value("string"),
        "object": datasets.Value("string"),
        "n_docs": datasets.Value("int64"),
        "n_s": datasets.Value("int64"),
        "n_o": datasets.Value("int64"),
        "n_so": datasets.Value("int64"),
        "mi": datasets.Value("float64"),
        "mode": datasets.Value("string"),
    }
)
SPLIT = "train"
CITATION = """@article{yu2025smi,
  title   = {Can LLMs Predict Their Own Knowledge Retention? Size-dependent Mutual Information (SMI)},
  journal = {arXiv preprint arXiv:2502.04066},
  year    = {2025}
}"""
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def _named(items: tuple[str, ...], option: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not value or not _NAME.match(name) or name == "facts":
            raise ConfigError(f"{option} entries look like NAME=VALUE with NAME in [a-z0-9_-] (not 'facts'), "
                              f"got {item!r}")
        out.append((name, value))
    return out


@dataclass(frozen=True)
class TriplesConfig(BuilderConfig):
    """Options of the triples build.

    Example:
        >>> TriplesConfig(facts="facts.jsonl", counts=("wiki=out/counts",)).mode
        'paper'
    """

    #: SMI fact list, T-REx folder / P*.jsonl, facts JSONL or wikidata:PATH
    facts: str = ""
    #: NAME=DIR of a `knowbench count` output; one config of counts each
    counts: tuple[str, ...] = ()
    #: NAME=FILE[,FILE] of documents to count now; one config of counts each
    corpora: tuple[str, ...] = field(default=(), metadata={"flags": ("--corpus",)})
    #: matching mode when counting corpora now: paper (' '+label substring) or boundary (whole words, aliases)
    mode: Literal["paper", "boundary"] = "paper"
    #: processes when counting corpora now
    workers: int = 1

    def validate(self) -> None:
        if not str(self.facts):
            raise ConfigError("facts is required (an SMI fact list, a T-REx folder, a facts JSONL or wikidata:PATH)")
        if self.mode not in ("paper", "boundary"):
            raise ConfigError(f"mode must be 'paper' or 'boundary', got mode={self.mode!r}")
        if self.workers < 1:
            raise ConfigError(f"workers must be >= 1, got workers={self.workers}")
        names = [n for n, _ in _named(tuple(self.counts), "counts") + _named(tuple(self.corpora), "corpora")]
        duplicates = [n for n, c in Counter(names).items() if c > 1]
        if duplicates:
            raise ConfigError(f"corpus name {duplicates[0]!r} is given twice")


class TriplesBuilder(DatasetBuilder[TriplesConfig]):
    name = "triples"
    config_class = TriplesConfig
    pretty_name = "Knowledge triples with document co-occurrence counts (SMI)"
    license = "other"
    task_categories = ("question-answering",)
    tags = ("knowledge-triples", "smi", "co-occurrence", "closed-book-qa")
    citation = CITATION

    @cached_property
    def _facts(self) -> list[Triple]:
        facts = read_facts(self.config.facts)
        if not facts:
            raise SourceFormatError(self.config.facts, None, "no facts")
        ids = Counter(f.fact_id for f in facts)
        repeated = [i for i, c in ids.items() if c > 1]
        if repeated:
            raise SourceFormatError(self.config.facts, f"fact {repeated[0]!r}", "fact id is not unique")
        return facts

    @cached_property
    def _counts(self) -> dict[str, dict[str, Any]]:
        """Per corpus config: its mode, source files and the count arrays aligned with :attr:`_facts`."""
        counts = {}
        for name, folder in _named(tuple(self.config.counts), "counts"):
            counts[name] = self._read_counts(Path(folder))
        for name, files in _named(tuple(self.config.corpora), "corpora"):
            from knowbench.datasets_src.triples.runner import count_corpus

            sources = [Path(f) for f in files.split(",") if f]
            result = count_corpus(self._facts, sources, mode=self.config.mode, workers=self.config.workers)
            arrays = result.raw.fact_arrays(result.index)
            counts[name] = {"mode": self.config.mode, "sources": sources, **arrays}
        return counts

    def _read_counts(self, folder: Path) -> dict[str, Any]:
        from knowbench.datasets_src.triples.runner import read_counts

        facts = self._facts
        table = read_counts(folder)
        position = {f.fact_id: i for i, f in enumerate(table.facts)}
        missing = [f.fact_id for f in facts if f.fact_id not in position]
        if missing:
            raise SourceFormatError(folder, f"fact {missing[0]!r}", f"{len(missing)} facts have no counts here")
        pick = np.asarray([position[f.fact_id] for f in facts], np.int64)
        counts_file = folder / "counts.jsonl" if folder.is_dir() else folder
        return {"mode": str(table.meta.get("mode", "unknown")), "sources": [counts_file],
                **{k: getattr(table, k)[pick] for k in ("n_docs", "n_s", "n_o", "n_so")}}

    def hub_configs(self) -> dict[str, tuple[str, ...]]:
        names = [n for n, _ in _named(tuple(self.config.counts), "counts") + _named(tuple(self.config.corpora), "corpora")]
        return {"facts": (SPLIT,), **{name: (SPLIT,) for name in names}}

    def features(self, hub_config: str) -> datasets.Features:
        return FACT_FEATURES if hub_config == "facts" else COUNT_FEATURES

    def generate(self, hub_config: str, split: str) -> Iterator[dict[str, Any]]:
        if hub_config == "facts":
            for f in self._facts:
                yield {"fact_id": f.fact_id, "subject": f.subject, "relation": f.relation, "object": f.object,
                       "subject_id": f.subject_id, "relation_id": f.relation_id, "object_id": f.object_id,
                       "subject_aliases": list(f.subject_aliases), "object_aliases": list(f.object_aliases),
                       "source": f.source}
            return
        from knowbench.datasets_src.triples.count import mutual_information

        counts = self._counts[hub_config]
        mi = mutual_information(counts["n_docs"], counts["n_s"], counts["n_o"], counts["n_so"])
        columns = [counts[k].tolist() for k in ("n_docs", "n_s", "n_o", "n_so")]
        for f, n, s, o, so, m in zip(self._facts, *columns, mi.tolist(), strict=True):
            yield {"fact_id": f.fact_id, "subject": f.subject, "relation": f.relation, "object": f.object,
                   "n_docs": n, "n_s": s, "n_o": o, "n_so": so, "mi": m, "mode": counts["mode"]}

    def sources(self) -> list[SourceInfo]:
        facts = str(self.config.facts)
        out = []
        path = Path(facts.removeprefix("wikidata:"))
        if path.is_file():
            out.append(SourceInfo(facts, sha256_file(path), size_bytes=path.stat().st_size, description="facts"))
        else:
            out.append(SourceInfo(facts, description="facts (folder)"))
        for name, counts in self._counts.items():
            for source in counts["sources"]:
                source = Path(source)
                if source.is_file():
                    out.append(SourceInfo(str(source), sha256_file(source), size_bytes=source.stat().st_size,
                                          description=f"corpus {name} ({counts['mode']} mode)"))
                else:
                    out.append(SourceInfo(str(source), description=f"corpus {name} ({counts['mode']} mode)"))
        return out

    def row_statistics(self) -> TriplesStatistics:
        return TriplesStatistics()


class TriplesStatistics(RowStatistics):
    """Facts per relation, ids, aliases and sources (config ``facts``) and per corpus config its coverage."""

    def __init__(self) -> None:
        self.facts = self.with_ids = self.with_aliases = 0
        self.relations: Counter[str] = Counter()
        self.sources: set[str] = set()
        self.corpora: dict[str, dict[str, Any]] = {}

    def update(self, hub_config: str, split: str, row: dict[str, Any]) -> None:
        if hub_config == "facts":
            self.facts += 1
            self.relations[row["relation"]] += 1
            self.with_ids += bool(row["subject_id"])
            self.with_aliases += bool(row["subject_aliases"])
            self.sources.add(row["source"])
            return
        corpus = self.corpora.setdefault(hub_config, {"n_docs": row["n_docs"], "modes": set(), "with_subject": 0,
                                                      "with_both": 0, "mi_positive": 0, "n_so": Counter()})
        corpus["modes"].add(row["mode"])
        corpus["with_subject"] += row["n_s"] > 0
        corpus["with_both"] += row["n_so"] > 0
        corpus["mi_positive"] += row["mi"] > 0
        corpus["n_so"][row["n_so"]] += 1

    def result(self) -> dict[str, Any]:
        return {
            "facts": self.facts,
            "relations": len(self.relations),
            "top_relations": self.relations.most_common(15),
            "with_ids": self.with_ids,
            "with_aliases": self.with_aliases,
            "sources": sorted(self.sources),
            "corpora": [
                {"name": name, "n_docs": int(c["n_docs"]), "mode": ", ".join(sorted(c["modes"])),
                 "with_subject": c["with_subject"], "with_both": c["with_both"], "mi_positive": c["mi_positive"],
                 "median_n_so": _median(c["n_so"])}
                for name, c in self.corpora.items()
            ],
        }


def _median(values: Counter[int]) -> float:
    """The median of the multiset ``values`` (value -> how many times), as numpy's median computes it."""
    total = sum(values.values())
    if not total:
        return 0.0
    ordered = sorted(values.items())

    def nth(n: int) -> int:  # 0-based n-th smallest
        seen = 0
        for value, count in ordered:
            seen += count
            if n < seen:
                return value
        raise IndexError(n)

    return (nth((total - 1) // 2) + nth(total // 2)) / 2


BUILDER = TriplesBuilder

