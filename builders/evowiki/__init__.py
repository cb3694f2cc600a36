"""EvoWiki builder: Wikidata snapshot(s) + Wikipedia export -> stable / evolved / uncharted questions and a corpus.

Hub configs: ``stable``, ``evolved``, ``uncharted`` (split ``test``: the questions) and ``corpus`` (split ``train``:
the passages that the ``retrieved_<retriever>`` fields point to). Every config is written, an empty one as a shard
without rows. The fact rules are in :mod:`.facts`, the chain rules in :mod:`.questions`, the templates in
:mod:`.templates`; :mod:`.plan` reads the inputs once. Rows stream: each state's questions are made subject by
subject and retrieved in batches; :class:`EvoWikiStatistics` counts what is written.

Example:
    >>> from knowbench.builders import build  # doctest: +SKIP
    >>> build("evowiki", "out/evowiki", wikidata=["wd/"], wikipedia=["enwiki.xml.bz2"], cutoff="2024-06-01")  # doctest: +SKIP
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets

from knowbench.builders.base import BuilderConfig, DatasetBuilder, RowStatistics, SourceInfo
from knowbench.builders.evowiki.facts import STATES, parse_day
from knowbench.builders.evowiki.plan import EvoWikiPlan, make_plan
from knowbench.builders.evowiki.questions import DROP_REASONS, subject_rows
from knowbench.builders.evowiki.retrieval import RETRIEVERS, search
from knowbench.builders.evowiki.templates import TEMPLATES
from knowbench.errors import ConfigError
from knowbench.io import sha256_file

QUESTION_SPLIT = "test"
CORPUS_SPLIT = "train"
RETRIEVAL_PREFIX = "retrieved_"
_S = datasets.Value("string")
_BATCH = 256


def _paths(value: Any) -> tuple[Path, ...]:
    if value is None:
        return ()
    if isinstance(value, str | Path):
        value = [value]
    return tuple(Path(v) for v in value)


@dataclass(frozen=True)
class EvoWikiConfig(BuilderConfig):
    """Options of an EvoWiki build (each documented where it is declared).

    Example:
        >>> EvoWikiConfig(wikidata=(), cutoff="2024-06-01")
        Traceback (most recent call last):
        ...
        knowbench.errors.ConfigError: wikidata must name at least one file or folder, got wikidata=()
    """

    #: Wikidata files or folders of the (newer) snapshot: dumps, wbgetentities responses, entity documents; when an
    #: entity appears several times its newest document is used (counted).
    wikidata: tuple[Path, ...] = ()
    #: The model's knowledge cut-off, YYYY-MM-DD; facts are judged only from snapshots at or after it.
    cutoff: str = ""
    #: An older snapshot of the same entities (files or folders); when given it tells what held at the cut-off,
    #: else the time qualifiers of the newer snapshot do.
    wikidata_old: tuple[Path, ...] = ()
    #: MediaWiki export XML files (plain, .bz2, .gz) whose revision in force at corpus_date joins the corpus.
    wikipedia: tuple[Path, ...] = ()
    #: Entity files or folders read only for the labels and aliases of the values facts point to (no subjects).
    labels: tuple[Path, ...] = ()
    #: Language of labels, aliases and descriptions.
    language: str = "en"
    #: Passages retrieved per question and retriever.
    top_k: int = 30
    #: Retrievers whose results fill the retrieved_<name> fields (bm25, dense).
    retrievers: tuple[str, ...] = ("bm25", "dense")
    #: Longest chain of facts in a question (1-3).
    max_hops: int = 3
    #: Most chains kept per subject and hop count (multi-hop questions grow fast).
    max_chains_per_subject: int = 20
    #: Words per Wikipedia passage.
    passage_words: int = 100
    #: The day whose Wikipedia revisions form the corpus, YYYY-MM-DD (default: the snapshot's day).
    corpus_date: str | None = None
    #: Set by `knowbench update evowiki`: the folder whose unchanged rows keep their retrieval results.
    reuse: Path | None = None
    #: Set by `knowbench update evowiki`: the entity ids that changed since the folder was built.
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
        parse_day(self.cutoff, "cutoff")
        if self.corpus_date is not None:
            parse_day(self.corpus_date, "corpus_date")
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


def question_features(retrievers: tuple[str, ...]) -> datasets.Features:
    """The schema of the question configs (one ``retrieved_<name>`` list per retriever)."""
    strings = datasets.List(_S)
    fields: dict[str, Any] = {
        "id": _S, "question": _S, "answer": _S, "answer_id": _S, "answer_ids": strings, "answer_aliases": strings,
        "answer_since": _S,
        "all_answers": datasets.List({
            "value": _S, "label": _S, "aliases": strings, "start": _S, "end": _S, "point_in_time": _S,
            "rank": _S, "current": datasets.Value("bool"),
        }),
        "cutoff_answers": strings, "cutoff_answer_ids": strings, "state": _S, "hop_states": strings,
        "hops": datasets.Value("int32"), "subject_id": _S, "subject_label": _S, "property": _S, "property_label": _S,
        "path_entities": strings, "path_labels": strings, "path_properties": strings, "snapshot_dates": strings,
        "popularity": datasets.Value("int64"), "cutoff": _S, "changes": strings,
    }
    for name in retrievers:
        fields[f"{RETRIEVAL_PREFIX}{name}"] = strings
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
    version = "2.0.0"
    config_class = EvoWikiConfig
    pretty_name = "EvoWiki (knowbench build)"
    license = "cc-by-sa-4.0"
    task_categories = ("question-answering",)
    tags = ("evolving-knowledge", "wikidata", "wikipedia", "rag")
    citation = CITATION

    def __init__(self, config: EvoWikiConfig) -> None:
        super().__init__(config)
        self._plan: EvoWikiPlan | None = None
        self._indexes: dict[str, Any] | None = None
        #: chains dropped per state and reason, counted while that state's rows are generated
        self.drops: dict[str, Counter[str]] = {state: Counter() for state in STATES}
        self.reused = 0

    @property
    def mode(self) -> str:
        return "two-snapshots" if self.config.wikidata_old else "cutoff"

    def plan(self) -> EvoWikiPlan:
        """The inputs read and judged once (cached): snapshot(s), fact states, subject names, corpus."""
        if self._plan is None:
            self._plan = make_plan(self.config)
        return self._plan

    def hub_configs(self) -> dict[str, tuple[str, ...]]:
        return {**{state: (QUESTION_SPLIT,) for state in STATES}, "corpus": (CORPUS_SPLIT,)}

    def features(self, hub_config: str) -> datasets.Features:
        if hub_config == "corpus":
            return CORPUS_FEATURES
        return question_features(self.config.retrievers)

    def generate(self, hub_config: str, split: str) -> Iterator[dict[str, Any]]:
        plan = self.plan()
        if hub_config == "corpus":
            yield from (p.as_row() for p in plan.corpus)
            return
        drops = self.drops[hub_config] = Counter()
        batch: list[dict[str, Any]] = []
        for subject in plan.subjects:
            for row in subject_rows(plan.context, subject, hub_config, drops):
                batch.append(row)
                if len(batch) >= _BATCH:
                    yield from self._retrieved(batch)
                    batch = []
        yield from self._retrieved(batch)

    def _retrieved(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` with their retrieval fields (kept from the folder being updated when nothing changed)."""
        if not rows or not self.config.retrievers:
            return rows
        fields = [f"{RETRIEVAL_PREFIX}{name}" for name in self.config.retrievers]
        previous = self.plan().previous
        todo = []
        for row in rows:
            old = previous.get(row["id"])
            if old is not None and all(f in old for f in fields) and _same_row(old, row, fields):
                row.update({f: old[f] for f in fields})
                self.reused += 1
            else:
                todo.append(row)
        if todo:
            if self._indexes is None:
                from knowbench.builders.evowiki.retrieval import build_indexes

                self._indexes = build_indexes(self.config.retrievers, self.plan().corpus)
            hits = search(self._indexes, self.plan().corpus, [r["question"] for r in todo], self.config.top_k)
            for name, lists in hits.items():
                for row, ids in zip(todo, lists, strict=True):
                    row[f"{RETRIEVAL_PREFIX}{name}"] = ids
        return rows

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

    def row_statistics(self) -> EvoWikiStatistics:
        return EvoWikiStatistics(self)


class EvoWikiStatistics(RowStatistics):
    """The card's numbers: rows per state and hops, properties, retrieval depth, and every count of the plan.

    Example:
        >>> EvoWikiStatistics.__mro__[1].__name__
        'RowStatistics'
    """

    def __init__(self, builder: EvoWikiBuilder) -> None:
        self.builder = builder
        self.per_state_hop: Counter[tuple[str, int]] = Counter()
        self.by_property: Counter[str] = Counter()
        self.subjects: set[str] = set()
        self.finals: set[tuple[str, str]] = set()
        self.short: Counter[str] = Counter()  # rows with fewer than top_k passages, per retriever
        self.corpus_by_source: Counter[str] = Counter()
        self.pages: set[str] = set()

    def update(self, hub_config: str, split: str, row: dict[str, Any]) -> None:
        if hub_config == "corpus":
            self.corpus_by_source[row["source"]] += 1
            if row["source"] == "wikipedia":
                self.pages.add(row["title"])
            return
        self.per_state_hop[(row["state"], row["hops"])] += 1
        self.by_property[row["property"]] += 1
        self.subjects.add(row["subject_id"])
        self.finals.add((row["path_entities"][-1], row["property"]))
        for name in self.builder.config.retrievers:
            if len(row[f"{RETRIEVAL_PREFIX}{name}"]) < self.builder.config.top_k:
                self.short[name] += 1

    def result(self) -> dict[str, Any]:
        builder, config = self.builder, self.builder.config
        plan = builder.plan()
        hops = sorted({h for _, h in self.per_state_hop}) or [1]
        questions = sum(self.per_state_hop.values())
        dropped = Counter()
        for counts in builder.drops.values():
            dropped.update(counts)
        subjects = plan.snapshot.subjects()
        return {
            "mode": builder.mode,
            "cutoff": config.cutoff,
            "questions": questions,
            "hops": hops,
            "by_state_hop": [
                {"state": s, "counts": [self.per_state_hop.get((s, h), 0) for h in hops],
                 "total": sum(self.per_state_hop.get((s, h), 0) for h in hops)}
                for s in STATES
            ],
            "by_property": self.by_property.most_common(),
            "distinct_final_facts": len(self.finals),
            "subjects": len(subjects),
            "subjects_with_questions": len(self.subjects),
            **plan.summary(),
            "corpus": sum(self.corpus_by_source.values()),
            "corpus_by_source": self.corpus_by_source.most_common(),
            "wikipedia_pages": len(self.pages),
            "subjects_with_page": sum(1 for e in subjects if (e.enwiki_title or e.label) in self.pages),
            "dropped_chains": {reason: dropped.get(reason, 0) for reason in DROP_REASONS},
            "dropped_by_state": {state: dict(builder.drops[state]) for state in STATES},
            "drop_reasons": DROP_REASONS,
            "retrievers": list(config.retrievers),
            "top_k": config.top_k,
            "fewer_passages": {name: self.short.get(name, 0) for name in config.retrievers},
            "reused": builder.reused,
            "templates": len(TEMPLATES),
        }


def _same_row(old: dict[str, Any], new: dict[str, Any], skip: list[str]) -> bool:
    return all(old.get(k) == v for k, v in new.items() if k not in skip)


BUILDER = EvoWikiBuilder
