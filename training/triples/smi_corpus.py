"""The miniature pre-training corpus of ``smi-mini``: real Wikipedia text with real facts inserted at controlled,
long-tailed document frequencies.

Documents are passages of the Wikipedia samples (clean text from the EvoWiki Wikipedia reader). Facts are
ParaRel / T-REx triples of the 15 relations that the SMI paper's 20 paraphrased templates cover. Each fact gets, drawn
log-uniformly (so counts spread over orders of magnitude, most facts rare, a few frequent):

* ``k_fact`` documents in which a sentence states it (a random one of its relation's templates + the object),
* ``k_apart`` documents that mention subject and object in separate, unrelated sentences (co-occurrence without the
  statement: what makes N_so a noisy proxy in real corpora),
* ``k_subject`` / ``k_object`` documents that mention only the subject / only the object.

Sentences are inserted at sentence boundaries of randomly chosen documents, always after a space, so the paper's
counting rule (``" " + label`` as a substring) sees them. What each fact was given is kept with the fact; what the
counter then finds (natural mentions included) is what SMI uses.

Example:
    >>> from knowbench.training.triples.smi_corpus import log_uniform_counts
    >>> import numpy as np
    >>> counts = log_uniform_counts(np.random.default_rng(0), 1000, 100)
    >>> bool(counts.min() >= 0 and counts.max() <= 100), bool((counts <= 3).mean() > 0.3)  # most facts rare
    (True, True)
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowbench.datasets_src.triples import Triple, iter_trex
from knowbench.errors import ConfigError

#: T-REx relation (ParaRel file ``P*.jsonl``) -> key of ``pararel_multi_templates.json`` (the SMI paper's 15
#: relation classes). Derived from the paper's fact list (``pararel_15classes.json``): for each key, the T-REx file
#: whose (subject, object) pairs it holds; a test re-derives it from the data.
RELATION_TEMPLATES: dict[str, str] = {
    "P101": "work",
    "P106": "occupation",
    "P136": "plays",
    "P1303": "play",
    "P1376": "capital",
    "P159": "headquarter",
    "P17": "is-located",
    "P19": "born",
    "P20": "die",
    "P27": "citizen",
    "P276": "locate",
    "P30": "is-locate",
    "P449": "air",
    "P495": "create",
    "P740": "found",
}

# Neutral sentences, written for this project, that mention one entity without stating any relation.
_MENTION_SENTENCES = (
    "Little else is recorded about {}.",
    "Some accounts also refer to {}.",
    "Sources on {} differ in detail.",
    "A later note mentions {} again.",
    "The name {} appears in several lists.",
    "Further reading on {} is listed below.",
)
_SENTENCE_END = re.compile(r"(?<=[.!?]) (?=[A-Z])")


@dataclass(frozen=True)
class Fact:
    """One (subject, relation, object) triple with what the corpus builder inserted for it."""

    id: str
    subject: str
    relation: str  # template key, e.g. "born"
    property: str  # T-REx property, e.g. "P19"
    object: str
    k_fact: int = 0
    k_apart: int = 0
    k_subject: int = 0
    k_object: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def triple(self) -> Triple:
        """The fact as the counter takes it (its id kept, so counts join back to it)."""
        return Triple(self.subject, self.relation, self.object, relation_id=self.property, id=self.id,
                      source="smi-mini")


def select_facts(
    trex_dir: str | os.PathLike[str],
    templates: Mapping[str, Sequence[str]],
    per_relation: int,
    seed: int,
) -> list[Fact]:
    """``per_relation`` random facts of each mapped relation whose subject is unique over the selection and whose
    object is not a substring of the subject (a fact answered by copying the prompt measures nothing)."""
    rng = np.random.default_rng(seed)
    facts: list[Fact] = []
    seen_subjects: set[str] = set()
    for prop, relation in sorted(RELATION_TEMPLATES.items()):
        if relation not in templates:
            raise ConfigError(f"templates lack relation {relation!r} (for {prop})")
        records = list(iter_trex(Path(trex_dir) / f"{prop}.jsonl"))  # a missing file: MissingInputError
        order = rng.permutation(len(records))
        taken = 0
        for index in order:
            record = records[int(index)]
            subject, obj = record.subject.strip(), record.object.strip()
            if subject in seen_subjects or obj in subject or subject in obj:
                continue
            seen_subjects.add(subject)
            facts.append(Fact(record.id or f"{prop}-{index}", subject, relation, prop, obj))
            taken += 1
            if taken == per_relation:
                break
    return facts


def log_uniform_counts(rng: np.random.Generator, size: int, maximum: int) -> np.ndarray:
    """Integers in [0, maximum] with log(1 + k) uniform: a long tail over orders of magnitude."""
    return np.floor(np.exp(rng.uniform(0, np.log(maximum + 1), size))).astype(int) - 1


def wikipedia_documents(
    paths: Iterable[str | os.PathLike[str]], max_words: int, doc_words: int = 100
) -> list[str]:
    """Passages (of at most ``doc_words`` words) of the latest revision of every article in the export XML files,
    stopping at ``max_words`` words in all; each passage is one document."""
    from knowbench.datasets_src.evowiki.wikipedia import clean_text, iter_pages, passages

    documents: list[str] = []
    words = 0
    for path in paths:
        for page in iter_pages(path, namespaces={0}):
            latest = page.revisions[-1] if page.revisions else None  # revisions are oldest first
            if page.redirect or latest is None or not latest.text:
                continue
            for passage in passages(page.title, clean_text(latest.text), max_words=doc_words):
                if len(passage.text.split()) < 20:  # headings, captions, stubs
                    continue
                documents.append(passage.text)
                words += len(passage.text.split())
                if words >= max_words:
                    return documents
    return documents


def fact_sentence(fact: Fact, template: str) -> str:
    """The sentence stating ``fact`` with ``template``: the filled template, the object and a full stop."""
    return f"{template.replace('[S]', fact.subject)} {fact.object}."


def _insert(document: str, sentence: str, rng: np.random.Generator) -> str:
    """Put ``sentence`` at a random sentence boundary of ``document`` (never first, so a space precedes it)."""
    cuts = [m.start() for m in _SENTENCE_END.finditer(document)]
    if not cuts:
        return f"{document} {sentence}"
    cut = cuts[int(rng.integers(len(cuts)))]
    return f"{document[:cut]} {sentence}{document[cut:]}"


def build_corpus(
    documents: list[str],
    facts: list[Fact],
    templates: Mapping[str, Sequence[str]],
    seed: int,
    max_fact_docs: int = 100,
    max_apart_docs: int = 30,
    max_mention_docs: int = 100,
) -> tuple[list[str], list[Fact]]:
    """Insert the facts into copies of ``documents``; returns the documents and the facts with their draws.

    Each kind of insertion for one fact goes into distinct documents (a fact stated in k documents is counted in k
    documents). Document frequencies are drawn with :func:`log_uniform_counts`, capped by the number of documents.
    """
    if not documents:
        raise ConfigError("no documents to insert facts into")
    rng = np.random.default_rng(seed)
    n = len(documents)
    caps = [min(c, n) for c in (max_fact_docs, max_apart_docs, max_mention_docs, max_mention_docs)]
    draws = [log_uniform_counts(rng, len(facts), cap) for cap in caps]
    docs = list(documents)
    drawn: list[Fact] = []
    for index, fact in enumerate(facts):
        k_fact, k_apart, k_subject, k_object = (int(d[index]) for d in draws)
        fact = Fact(**{**fact.to_dict(), "k_fact": k_fact, "k_apart": k_apart, "k_subject": k_subject,
                       "k_object": k_object})
        drawn.append(fact)
        mention = _MENTION_SENTENCES
        for doc in rng.choice(n, size=k_fact, replace=False):
            template = templates[fact.relation][int(rng.integers(len(templates[fact.relation])))]
            docs[doc] = _insert(docs[doc], fact_sentence(fact, template), rng)
        for doc in rng.choice(n, size=k_apart, replace=False):
            first = mention[int(rng.integers(len(mention)))].format(fact.subject)
            second = mention[int(rng.integers(len(mention)))].format(fact.object)
            docs[doc] = _insert(_insert(docs[doc], first, rng), second, rng)
        for doc in rng.choice(n, size=k_subject, replace=False):
            docs[doc] = _insert(docs[doc], mention[int(rng.integers(len(mention)))].format(fact.subject), rng)
        for doc in rng.choice(n, size=k_object, replace=False):
            docs[doc] = _insert(docs[doc], mention[int(rng.integers(len(mention)))].format(fact.object), rng)
    return docs, drawn
