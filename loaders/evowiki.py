"""Typed view of EvoWiki rows: questions with their answers and retrieved passage ids, and corpus passages.

Example:
    >>> from knowbench.loaders.evowiki import load_rows, load_corpus  # doctest: +SKIP
    >>> rows = load_rows("out/evowiki", "evolved")  # doctest: +SKIP
    >>> rows[0].question, rows[0].answer, rows[0].retrieved("bm25")[:3]  # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from knowbench.builders.evowiki import CORPUS_SPLIT, QUESTION_SPLIT, RETRIEVAL_PREFIX
from knowbench.builders.evowiki.facts import STATES

_LEGACY_RETRIEVAL = re.compile(r"^([a-z0-9_]+)_top\d+$")
__all__ = ["STATES", "AnswerValue", "CorpusPassage", "EvoWikiRow", "load_corpus", "load_rows"]


@dataclass(frozen=True)
class AnswerValue:
    """One value a fact has had, with its interval (ISO strings by precision, or ``None``)."""

    value: str
    label: str | None
    aliases: tuple[str, ...]
    start: str | None
    end: str | None
    point_in_time: str | None
    rank: str
    current: bool

    def names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.label, *self.aliases) if n)


@dataclass(frozen=True)
class EvoWikiRow:
    """One EvoWiki question.

    Example:
        >>> row = EvoWikiRow.from_row(dataset[0])  # doctest: +SKIP
        >>> row.latest_names(), row.all_names()  # doctest: +SKIP
    """

    id: str
    question: str
    answer: str
    answer_id: str
    answer_ids: tuple[str, ...]
    answer_aliases: tuple[str, ...]
    answer_since: str | None
    all_answers: tuple[AnswerValue, ...]
    cutoff_answers: tuple[str, ...]
    cutoff_answer_ids: tuple[str, ...]
    state: str
    hop_states: tuple[str, ...]
    hops: int
    subject_id: str
    subject_label: str
    property: str
    property_label: str
    path_entities: tuple[str, ...]
    path_labels: tuple[str, ...]
    path_properties: tuple[str, ...]
    snapshot_dates: tuple[str | None, ...]
    popularity: int
    cutoff: str
    changes: tuple[str, ...]
    retrieval: dict[str, tuple[str, ...]]  # retriever name -> passage ids, best first

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> EvoWikiRow:
        retrieval = {}
        for key, value in row.items():
            if key.startswith(RETRIEVAL_PREFIX):
                retrieval[key[len(RETRIEVAL_PREFIX):]] = tuple(value or ())
            elif (legacy := _LEGACY_RETRIEVAL.match(key)) is not None:  # builds before 2.0: bm25_top30
                retrieval[legacy.group(1)] = tuple(value or ())
        return cls(
            id=row["id"], question=row["question"], answer=row["answer"], answer_id=row["answer_id"],
            answer_ids=tuple(row.get("answer_ids") or (row["answer_id"],)), answer_aliases=tuple(row["answer_aliases"]), answer_since=row["answer_since"],
            all_answers=tuple(
                AnswerValue(a["value"], a["label"], tuple(a["aliases"] or ()), a["start"], a["end"],
                            a["point_in_time"], a["rank"], bool(a["current"]))
                for a in row["all_answers"]
            ),
            cutoff_answers=tuple(row["cutoff_answers"]),
            cutoff_answer_ids=tuple(row.get("cutoff_answer_ids") or ()), state=row["state"], hop_states=tuple(row["hop_states"]),
            hops=int(row["hops"]), subject_id=row["subject_id"], subject_label=row["subject_label"],
            property=row["property"], property_label=row["property_label"],
            path_entities=tuple(row["path_entities"]), path_labels=tuple(row.get("path_labels") or ()),
            path_properties=tuple(row["path_properties"]), snapshot_dates=tuple(row.get("snapshot_dates") or ()),
            popularity=int(row["popularity"]), cutoff=row["cutoff"], changes=tuple(row["changes"] or ()),
            retrieval=retrieval,
        )

    def latest_names(self) -> tuple[str, ...]:
        """Every string that counts as the latest answer (labels and aliases of the values in force now)."""
        return tuple(dict.fromkeys((self.answer, *self.answer_aliases)))

    def all_names(self) -> tuple[str, ...]:
        """Every string that names a value the fact has ever had."""
        return tuple(dict.fromkeys((*self.latest_names(), *(n for a in self.all_answers for n in a.names()))))

    def retrieved(self, retriever: str) -> tuple[str, ...]:
        if retriever not in self.retrieval:
            from knowbench.errors import UnknownNameError

            raise UnknownNameError("retrieval field", retriever, self.retrieval)
        return self.retrieval[retriever]


@dataclass(frozen=True)
class CorpusPassage:
    id: str
    title: str
    section: str
    text: str
    source: str
    entity_id: str | None
    revision: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CorpusPassage:
        return cls(row["id"], row["title"], row["section"], row["text"], row["source"], row["entity_id"],
                   row["revision"])


def load_rows(path_or_repo_id: str | os.PathLike[str], state: str | None = None) -> list[EvoWikiRow]:
    """Questions of one state (``None``: all three, in state order) through :func:`knowbench.loaders.load`."""
    from knowbench.loaders import load

    states = STATES if state is None else (state,)
    if state is not None and state not in STATES:
        from knowbench.errors import UnknownNameError

        raise UnknownNameError("EvoWiki state", state, STATES)
    return [EvoWikiRow.from_row(r) for s in states for r in load("evowiki", path_or_repo_id, s, split=QUESTION_SPLIT)]


def load_corpus(path_or_repo_id: str | os.PathLike[str]) -> dict[str, CorpusPassage]:
    """The passages of the ``corpus`` config by id."""
    from knowbench.loaders import load

    return {r["id"]: CorpusPassage.from_row(r) for r in load("evowiki", path_or_repo_id, "corpus", split=CORPUS_SPLIT)}
