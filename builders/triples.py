"""Knowledge-triples builder: facts (config ``facts``) and their document counts, one config per corpus.

Facts come from any :func:`knowbench.datasets_src.triples.read_facts` source (the SMI paper's 12,671-fact list,
ParaRel/T-REx, Wikidata entities, a facts JSONL). Counts come from ``knowbench count`` outputs
(``counts=("wiki=out/counts",)``) or are counted during the build (``corpora=("wiki=a.jsonl,b.jsonl",)``); each
corpus becomes a config with N, N_s, N_o, N_so and MI per fact (arXiv 2502.04066).

Example:
    >>> from knowbench.builders import get_builder  # doctest: +SKIP
    >>> from knowbench.builders.writer import build_to_folder  # doctest: +SKIP
    >>> build_to_folder(get_builder("triples", facts="pararel_15classes.json", counts=("wiki=out/counts",)),
    ...                 "out/triples")  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pyarrow as pa

from knowbench.builders.base import BuilderConfig, DatasetBuilder, SourceInfo
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
    """``facts``: a fact source; ``counts``: ``NAME=DIR`` of count outputs; ``corpora``: ``NAME=FILE[,FILE]`` to
    count at build time with ``mode`` and ``workers``."""

    facts: str | Path = ""
    counts: tuple[str, ...] = ()
    corpora: tuple[str, ...] = ()
    mode: str = "paper"
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

    def __init__(self, config: TriplesConfig) -> None:
        super().__init__(config)
        self._facts: list[Triple] | None = None
        self._counts: dict[str, dict[str, Any]] = {}

    def prepare(self) -> None:
        self._facts = read_facts(self.config.facts)
        if not self._facts:
            raise SourceFormatError(self.config.facts, None, "no facts")
        ids = Counter(f.fact_id for f in self._facts)
        repeated = [i for i, c in ids.items() if c > 1]
        if repeated:
            raise SourceFormatError(self.config.facts, f"fact {repeated[0]!r}", "fact id is not unique")
        for name, folder in _named(tuple(self.config.counts), "counts"):
            self._counts[name] = self._read_counts(Path(folder))
        for name, files in _named(tuple(self.config.corpora), "corpora"):
            from knowbench.datasets_src.triples.runner import count_corpus

            sources = [Path(f) for f in files.split(",") if f]
            result = count_corpus(self._facts, sources, mode=self.config.mode, workers=self.config.workers)  # type: ignore[arg-type]
            arrays = result.raw.fact_arrays(result.index)
            self._counts[name] = {"mode": self.config.mode, "sources": sources, **arrays}

    def _read_counts(self, folder: Path) -> dict[str, Any]:
        from knowbench.datasets_src.triples.runner import read_counts

        assert self._facts is not None
        table = read_counts(folder)
        position = {f.fact_id: i for i, f in enumerate(table.facts)}
        missing = [f.fact_id for f in self._facts if f.fact_id not in position]
        if missing:
            raise SourceFormatError(folder, f"fact {missing[0]!r}", f"{len(missing)} facts have no counts here")
        pick = np.asarray([position[f.fact_id] for f in self._facts], np.int64)
        meta_path = (folder if folder.is_dir() else folder.parent) / "count_meta.json"
        mode = "unknown"
        if meta_path.is_file():
            import orjson

            mode = str(orjson.loads(meta_path.read_bytes()).get("mode", "unknown"))
        counts_file = folder / "counts.jsonl" if folder.is_dir() else folder
        return {"mode": mode, "sources": [counts_file],
                **{k: getattr(table, k)[pick] for k in ("n_docs", "n_s", "n_o", "n_so")}}

    def hub_configs(self) -> dict[str, tuple[str, ...]]:
        names = [n for n, _ in _named(tuple(self.config.counts), "counts") + _named(tuple(self.config.corpora), "corpora")]
        return {"facts": (SPLIT,), **{name: (SPLIT,) for name in names}}

    def features(self, hub_config: str) -> datasets.Features:
        return FACT_FEATURES if hub_config == "facts" else COUNT_FEATURES

    def generate(self, hub_config: str, split: str) -> Iterator[dict[str, Any]]:
        assert self._facts is not None, "prepare() first"
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

    def statistics(self, tables: dict[str, dict[str, pa.Table]]) -> dict[str, Any]:
        facts = tables["facts"][SPLIT]
        relations = Counter(facts.column("relation").to_pylist())
        corpora = []
        for name, splits in tables.items():
            if name == "facts":
                continue
            table = splits[SPLIT]
            n_so = np.asarray(table.column("n_so").to_pylist(), np.int64)
            n_s = np.asarray(table.column("n_s").to_pylist(), np.int64)
            mi = np.asarray(table.column("mi").to_pylist(), np.float64)
            n_docs = table.column("n_docs").to_pylist()
            modes = sorted(set(table.column("mode").to_pylist()))
            corpora.append({
                "name": name, "n_docs": int(n_docs[0]) if n_docs else 0, "mode": ", ".join(modes),
                "with_subject": int((n_s > 0).sum()), "with_both": int((n_so > 0).sum()),
                "mi_positive": int((mi > 0).sum()), "median_n_so": float(np.median(n_so)) if n_so.size else 0.0,
            })
        return {
            "facts": facts.num_rows,
            "relations": len(relations),
            "top_relations": relations.most_common(15),
            "with_ids": int(sum(1 for v in facts.column("subject_id").to_pylist() if v)),
            "with_aliases": int(sum(1 for v in facts.column("subject_aliases").to_pylist() if v)),
            "sources": sorted(set(facts.column("source").to_pylist())),
            "corpora": corpora,
        }


BUILDER = TriplesBuilder

