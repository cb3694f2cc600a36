"""EvoWiki builder: Wikidata snapshot(s) + Wikipedia export -> stable / evolved / uncharted questions and a corpus.

Hub configs: ``stable``, ``evolved``, ``uncharted`` (split ``test``: the questions) and ``corpus`` (split ``train``:
the passages that ``bm25_top{k}`` / ``dense_top{k}`` point to). The fact rules are in
:mod:`knowbench.builders.evowiki.facts`, the templates in :mod:`knowbench.builders.evowiki.questions`.

Example:
    >>> from knowbench.builders import get_builder  # doctest: +SKIP
    >>> from knowbench.builders.writer import build_to_folder  # doctest: +SKIP
    >>> build_to_folder(get_builder("evowiki", wikidata=["wd/"], wikipedia=["enwiki.xml.bz2"],
    ...                             cutoff="2024-06-01"), "out/evowiki")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import pyarrow as pa

from knowbench.builders.base import BuilderConfig, DatasetBuilder, SourceInfo
from knowbench.builders.evowiki.facts import (
    STATES,
    Change,
    FactState,
    Snapshot,
    cutoff_facts,
    diff_facts,
    entity_fingerprint,
    parse_date,
)
from knowbench.builders.evowiki.questions import TEMPLATES, QuestionStats, make_questions
from knowbench.builders.evowiki.retrieval import (
    RETRIEVERS,
    Passage,
    fact_passages,
    retrieve,
    wikipedia_passages,
)
from knowbench.errors import ConfigError
from knowbench.io import sha256_file

QUESTION_SPLIT = "test"
CORPUS_SPLIT = "train"
_S = datasets.Value("string")


def _paths(value: Any) -> tuple[Path, ...]:
    if value is None:
        return ()
    if isinstance(value, str | Path):
        value = [value]
    return tuple(Path(v) for v in value)


@dataclass(frozen=True)
class EvoWikiConfig(BuilderConfig):
    """Options of an EvoWiki build.

    ``wikidata``: files/folders of the snapshot (dumps, ``wbgetentities`` responses, entity documents; when an
    entity appears several times its newest document is used). ``wikidata_old``: an older snapshot of the same
    entities; when given, states come from the diff of the two snapshots, else from the time qualifiers and
    ``cutoff``. ``wikipedia``: MediaWiki export XML files (the revision in force at ``corpus_date``, default the
    snapshot date). ``labels``: entity files read only for the labels and aliases of the values facts point
    to (their entities are no subjects). ``reuse`` / ``changed``: set by ``knowbench update evowiki`` to keep the rows of a previous
    build whose entities did not change.

    Example:
        >>> EvoWikiConfig(wikidata=(), cutoff="2024-06-01")
        Traceback (most recent call last):
        ...
        knowbench.errors.ConfigError: wikidata must name at least one file or folder, got wikidata=()
    """

    wikidata: tuple[Path, ...] = ()
    cutoff: str = ""
    wikidata_old: tuple[Path, ...] = ()
    wikipedia: tuple[Path, ...] = ()
    labels: tuple[Path, ...] = ()
    language: str = "en"
    top_k: int = 30
    retrievers: tuple[str, ...] = ("bm25", "dense")
    max_hops: int = 3
    max_chains_per_subject: int = 20
    passage_words: int = 100
    corpus_date: str | None = None
    reuse: Path | None = None
    changed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("wikidata", "wikidata_old", "wikipedia", "labels"):
            object.__setattr__(self, name, _paths(getattr(self, name)))
        object.__setattr__(self, "retrievers", tuple(self.retrievers))
        object.__setattr__(self, "changed", tuple(self.changed))
        if self.reuse is not None:
            object.__setattr__(self, "reuse", Path(self.reuse))
        super().__post_init__()

    def validate(self) -> None:
        if not self.wikidata:
            raise ConfigError("wikidata must name at least one file or folder, got wikidata=()")
        for path in (*self.wikidata, *self.wikidata_old, *self.wikipedia, *self.labels):
            if not path.exists():
                raise ConfigError(f"input does not exist: {path}")
        if not self.cutoff:
            raise ConfigError("cutoff is required (YYYY-MM-DD), got cutoff=''")
        parse_date(self.cutoff, "cutoff")
        if self.corpus_date is not None:
            parse_date(self.corpus_date, "corpus_date")
        if self.top_k < 1:
            raise ConfigError(f"top_k must be >= 1, got top_k={self.top_k}")
        if not 1 <= self.max_hops <= 3:
            raise ConfigError(f"max_hops must be 1, 2 or 3, got max_hops={self.max_hops}")
        if self.max_chains_per_subject < 1:
            raise ConfigError(f"max_chains_per_subject must be >= 1, got {self.max_chains_per_subject}")
        if self.passage_words < 10:
            raise ConfigError(f"passage_words must be >= 10, got passage_words={self.passage_words}")
        for name in self.retrievers:
            if name not in RETRIEVERS:
                raise ConfigError(f"unknown retriever {name!r}; known: {RETRIEVERS.names()}")
        if not self.language:
            raise ConfigError("language must not be empty")


def question_features(top_k: int, retrievers: tuple[str, ...]) -> datasets.Features:
    strings = datasets.List(_S)
    fields: dict[str, Any] = {
        "id": _S, "question": _S, "answer": _S, "answer_id": _S, "answer_aliases": strings, "answer_since": _S,
        "all_answers": datasets.List({
            "value": _S, "label": _S, "aliases": strings, "start": _S, "end": _S, "point_in_time": _S,
            "rank": _S, "current": datasets.Value("bool"),
        }),
        "cutoff_answers": strings, "state": _S, "hop_states": strings, "hops": datasets.Value("int32"),
        "subject_id": _S, "subject_label": _S, "property": _S, "property_label": _S, "path_entities": strings,
        "path_properties": strings, "popularity": datasets.Value("int64"), "cutoff": _S, "changes": strings,
    }
    for name in retrievers:
        fields[f"{name}_top{top_k}"] = strings
    return datasets.Features(fields)


CORPUS_FEATURES = datasets.Features(
    {"id": _S, "title": _S, "section": _S, "text": _S, "source": _S, "entity_id": _S, "revision": _S}
)

CITATION = """@inproceedings{tang2025evowiki,
  title     = {EvoWiki: Evaluating LLMs on Evolving Knowledge},
  author    = {Tang, Wei and Cao, Yixin and Deng, Yang and Ying, Jiahao and Wang, Bo and Yang, Yizhe and
               Zhao, Yuyue and Zhang, Qi and Huang, Xuanjing and Jiang, Yugang and Liao, Yong},
  booktitle = {Proceedings of ACL},
  year      = {2025}
}"""


class EvoWikiBuilder(DatasetBuilder[EvoWikiConfig]):
    """Builds the EvoWiki configs from local Wikidata/Wikipedia files (see the module docstring)."""

    name = "evowiki"
    version = "1.0.0"
    config_class = EvoWikiConfig
    pretty_name = "EvoWiki (knowbench build)"
    license = "cc-by-sa-4.0"
    task_categories = ("question-answering",)
    tags = ("evolving-knowledge", "wikidata", "wikipedia", "rag")
    citation = CITATION

    def __init__(self, config: EvoWikiConfig) -> None:
        super().__init__(config)
        self._prepared = False
        self.questions: list[dict[str, Any]] = []
        self.corpus: list[Passage] = []
        self.changes: list[Change] = []
        self.stats = QuestionStats()
        self.snapshot: Snapshot | None = None
        self.old_snapshot: Snapshot | None = None
        self.fingerprints: dict[str, str] = {}
        self.reused = 0

    @property
    def mode(self) -> str:
        return "two-snapshots" if self.config.wikidata_old else "cutoff"

    def hub_configs(self) -> dict[str, tuple[str, ...]]:
        return {**{state: (QUESTION_SPLIT,) for state in STATES}, "corpus": (CORPUS_SPLIT,)}

    def features(self, hub_config: str) -> datasets.Features:
        if hub_config == "corpus":
            return CORPUS_FEATURES
        return question_features(self.config.top_k, self.config.retrievers)

    # -- preparation ------------------------------------------------------------------------------------------

    def prepare(self) -> None:
        if self._prepared:
            return
        config = self.config
        cutoff = parse_date(config.cutoff, "cutoff")
        from knowbench.datasets_src.evowiki.labels import LabelStore

        labels = LabelStore(config.language)
        if config.labels:
            from knowbench.datasets_src.evowiki.wikidata import iter_entities

            for entity in iter_entities(list(config.labels), language=config.language):
                if entity.label is not None:
                    labels.add(entity.id, entity.label, entity.aliases)
        if config.wikidata_old:
            self.old_snapshot = Snapshot.read(config.wikidata_old, config.language, labels)
        self.snapshot = snapshot = Snapshot.read(config.wikidata, config.language, labels)
        facts: dict[str, dict[str, FactState]] = {}
        for entity in snapshot.subjects():
            self.fingerprints[entity.id] = entity_fingerprint(entity)
            if self.old_snapshot is not None:
                found, changes = diff_facts(self.old_snapshot.entities.get(entity.id), entity)
                self.changes.extend(changes)
                kept = {c.property for c in found}
                self.stats.removed_facts += len({c.property for c in changes} - kept)
            else:
                found = cutoff_facts(entity, cutoff)
            facts[entity.id] = {f.property: f for f in found}
        self.questions = list(
            make_questions(snapshot, facts, config.cutoff, config.max_hops, config.max_chains_per_subject, self.stats)
        )
        corpus_date = parse_date(config.corpus_date, "corpus_date") if config.corpus_date else snapshot.date
        self.corpus = list(fact_passages(snapshot, facts, TEMPLATES))
        if config.wikipedia:
            self.corpus.extend(wikipedia_passages(config.wikipedia, corpus_date, config.passage_words))
        self._retrieve()
        self._prepared = True

    def _previous_rows(self) -> dict[str, dict[str, Any]]:
        """Rows of the folder being updated whose entities all kept their fingerprint."""
        if self.config.reuse is None:
            return {}
        import pyarrow.parquet as pq

        changed = set(self.config.changed)
        rows: dict[str, dict[str, Any]] = {}
        for state in STATES:
            for path in sorted((self.config.reuse / "data" / state).glob(f"{QUESTION_SPLIT}-*.parquet")):
                for row in pq.read_table(path).to_pylist():
                    if not changed.intersection(row["path_entities"]):
                        rows[row["id"]] = row
        return rows

    def _retrieve(self) -> None:
        config = self.config
        previous = self._previous_rows()
        fields = [f"{name}_top{config.top_k}" for name in config.retrievers]
        todo = []
        for row in self.questions:
            old = previous.get(row["id"])
            if old is not None and all(f in old for f in fields) and _same_row(old, row, fields):
                row.update({f: old[f] for f in fields})
                self.reused += 1
            else:
                todo.append(row)
        if not config.retrievers:
            return
        hits = retrieve(config.retrievers, self.corpus, [r["question"] for r in todo], config.top_k)
        for name, lists in hits.items():
            for row, ids in zip(todo, lists, strict=True):
                row[f"{name}_top{config.top_k}"] = ids

    def generate(self, hub_config: str, split: str) -> Iterator[dict[str, Any]]:
        self.prepare()
        if hub_config == "corpus":
            yield from (p.as_row() for p in self.corpus)
            return
        yield from (row for row in self.questions if row["state"] == hub_config)

    # -- provenance and card ----------------------------------------------------------------------------------

    def sources(self) -> list[SourceInfo]:
        from knowbench.builders.evowiki.retrieval import xml_files
        from knowbench.datasets_src.evowiki.dumpio import as_paths

        config = self.config
        groups = [("wikidata", as_paths(config.wikidata)), ("wikidata_old", as_paths(config.wikidata_old)),
                  ("labels", as_paths(config.labels)), ("wikipedia", xml_files(config.wikipedia))]
        return [
            SourceInfo(str(f), sha256_file(f), size_bytes=f.stat().st_size, description=role)
            for role, files in groups
            for f in files
        ]

    def statistics(self, tables: dict[str, dict[str, pa.Table]]) -> dict[str, Any]:
        self.prepare()
        questions = [row for state in STATES for row in tables[state][QUESTION_SPLIT].select(
            ["state", "hops", "property", "subject_id"]).to_pylist()]
        corpus = tables["corpus"][CORPUS_SPLIT].select(["source", "title"]).to_pylist()
        pages = {r["title"] for r in corpus if r["source"] == "wikipedia"}
        per = Counter((r["state"], r["hops"]) for r in questions)
        hops = sorted({r["hops"] for r in questions})
        snapshot = self.snapshot
        assert snapshot is not None
        dates = snapshot.dates
        old_dates = self.old_snapshot.dates if self.old_snapshot else []
        return {
            "mode": self.mode,
            "cutoff": self.config.cutoff,
            "questions": len(questions),
            "hops": hops,
            "by_state_hop": [
                {"state": s, "counts": [per.get((s, h), 0) for h in hops], "total": sum(per.get((s, h), 0) for h in hops)}
                for s in STATES
            ],
            "by_property": Counter(r["property"] for r in questions).most_common(),
            "subjects": len(snapshot.subjects()),
            "subjects_with_questions": len({r["subject_id"] for r in questions}),
            "snapshot_first": dates[0].isoformat() if dates else "unknown",
            "snapshot_last": dates[-1].isoformat() if dates else "unknown",
            "old_first": old_dates[0].isoformat() if old_dates else None,
            "old_last": old_dates[-1].isoformat() if old_dates else None,
            "old_subjects": len(self.old_snapshot.subjects()) if self.old_snapshot else 0,
            "changes": Counter(c.kind for c in self.changes).most_common(),
            "corpus": len(corpus),
            "wikipedia_pages": len(pages),
            "subjects_with_page": sum(1 for e in snapshot.subjects() if (e.enwiki_title or e.label) in pages),
            "corpus_by_source": Counter(r["source"] for r in corpus).most_common(),
            "skipped": dataclasses.asdict(self.stats) | {"by_property": None},
            "retrievers": list(self.config.retrievers),
            "top_k": self.config.top_k,
            "reused": self.reused,
            "templates": len(TEMPLATES),
        }


def _same_row(old: dict[str, Any], new: dict[str, Any], skip: list[str]) -> bool:
    return all(old.get(k) == v for k, v in new.items() if k not in skip)


BUILDER = EvoWikiBuilder
