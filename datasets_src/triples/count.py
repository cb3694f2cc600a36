"""Document co-occurrence counts of facts: N, N_s, N_o and N_so in one matching pass per document.

Two matching modes:

* ``"paper"``: the SMI paper's rule (arXiv 2502.04066): a document mentions a label when it contains
  ``" " + label`` as a case-sensitive substring;
* ``"boundary"``: word-boundary and alias-aware: text and names are normalised (every ASCII character other than
  a letter or digit, and common Unicode punctuation, becomes a space; runs of spaces collapse; optional
  lower-casing) and a name matches as whole words; an entity (subject or object) is mentioned when any of its
  label and aliases is.

How it stays fast and exact. Every pattern starts with a space, so a match can only start at a space. Documents
are joined per batch (``\\0`` between them, a byte no pattern contains) and matched in one vectorised pass by
:class:`~knowbench.datasets_src.triples.wordmatch.WordMatcher`: at every space numpy reads the next 8 bytes as one
64-bit word, pre-selects with hashed prefix tables and confirms by exact masked word comparisons. Hash collisions
only cost time: every real match is found, and only real matches are reported. Matches become distinct (document,
pattern) pairs, then (document, entity) pairs; N_s and N_o are entity document counts and N_so a vectorised join of
each document's subjects with their facts' objects. Counts of shards add up exactly (:meth:`RawCounts.merge`).
``bench/count_reference.py`` holds the plain reference counts the tests and ``bench/bench_count.py`` compare with.

Example:
    >>> from knowbench.datasets_src.triples.types import Triple
    >>> index = FactIndex([Triple("Paris", "capital of", "France")])
    >>> docs = ["The capital of France is Paris.", "In France.", "Paris, Texas", "Art of the Parisian"]
    >>> index.count(docs).per_fact(index)[0]  # " Paris" is not in doc 3 but is in "Parisian" (the paper's rule)
    {'n_docs': 4, 'n_s': 2, 'n_o': 2, 'n_so': 1}
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from knowbench.datasets_src.triples.types import Triple
from knowbench.datasets_src.triples.wordmatch import PADDING, WordMatcher
from knowbench.errors import ConfigError

MatchMode = Literal["paper", "boundary"]
MODES: tuple[MatchMode, ...] = ("paper", "boundary")

#: bytes of text per vectorised batch
DEFAULT_BATCH_BYTES = 4 << 20
_MAX_PATTERN_BYTES = 65535

# boundary mode: ASCII bytes other than letters and digits become spaces; so do these Unicode punctuation marks
_WORD = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_ASCII_TABLE = bytes(b if (b in _WORD or b >= 0x80) else 0x20 for b in range(256))
_UNICODE_PUNCT = re.compile(
    "|".join(re.escape(c.encode()).decode("latin-1") for c in "\u00a0\u00ab\u00bb\u00b7\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u2022\u2032\u2033")
    .encode("latin-1")
)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def normalize_boundary(text: str, ignore_case: bool = False) -> bytes:
    """Boundary-mode form of a text: ``b" " + words joined by single spaces + b" "`` (UTF-8).

    Example:
        >>> normalize_boundary("St. Louis—the  city's «core»")
        b' St Louis the city s core '
    """
    if ignore_case:
        text = text.lower()
    data = _encode(text).translate(_ASCII_TABLE)
    if b"\xe2" in data or b"\xc2" in data:
        data = _UNICODE_PUNCT.sub(b" ", data)
    return b" " + b" ".join(data.split()) + b" "


@dataclass
class RawCounts:
    """Additive counting state of one shard: documents, documents per entity, documents per fact with both.

    Merging shards is a plain sum, so any split of a corpus gives exactly the counts of one pass over it.
    """

    n_docs: int
    entity_docs: np.ndarray  # int64, per entity
    n_so: np.ndarray  # int64, per fact
    n_bytes: int = 0  # bytes of text matched (after preparation), for throughput figures

    @classmethod
    def zeros(cls, n_entities: int, n_facts: int) -> RawCounts:
        return cls(0, np.zeros(n_entities, np.int64), np.zeros(n_facts, np.int64))

    def merge(self, other: RawCounts) -> RawCounts:
        if self.entity_docs.shape != other.entity_docs.shape or self.n_so.shape != other.n_so.shape:
            raise ConfigError("cannot merge counts of different fact sets")
        return RawCounts(self.n_docs + other.n_docs, self.entity_docs + other.entity_docs, self.n_so + other.n_so,
                         self.n_bytes + other.n_bytes)

    def __iadd__(self, other: RawCounts) -> RawCounts:
        merged = self.merge(other)
        self.n_docs, self.entity_docs, self.n_so = merged.n_docs, merged.entity_docs, merged.n_so
        self.n_bytes = merged.n_bytes
        return self

    def same_as(self, other: RawCounts) -> bool:
        """Equal counts (``n_bytes`` aside)."""
        return (self.n_docs == other.n_docs and np.array_equal(self.entity_docs, other.entity_docs)
                and np.array_equal(self.n_so, other.n_so))

    def fact_arrays(self, index: FactIndex) -> dict[str, np.ndarray]:
        """``n_s``, ``n_o``, ``n_so`` per fact (int64 arrays) and ``n_docs``."""
        return {
            "n_docs": np.full(index.n_facts, self.n_docs, np.int64),
            "n_s": self.entity_docs[index.fact_subject],
            "n_o": self.entity_docs[index.fact_object],
            "n_so": self.n_so,
        }

    def per_fact(self, index: FactIndex) -> list[dict[str, int]]:
        arrays = self.fact_arrays(index)
        columns = [arrays[k].tolist() for k in ("n_docs", "n_s", "n_o", "n_so")]
        return [dict(zip(("n_docs", "n_s", "n_o", "n_so"), row, strict=True)) for row in zip(*columns, strict=True)]


class FactIndex:
    """Facts compiled for counting: patterns, entities and their matcher.

    Entities are what N_s and N_o count: in ``"paper"`` mode one per distinct label string; in ``"boundary"``
    mode one per Wikidata id when the fact has one (else per label), matched through its label and aliases.

    Example:
        >>> index = FactIndex([Triple("Q", "r", "O", subject_aliases=("Kyu",))], mode="boundary")
        >>> index.n_facts, index.n_entities, sorted(index.patterns)
        (1, 2, [' Kyu ', ' O ', ' Q '])
    """

    def __init__(self, facts: Sequence[Triple], mode: MatchMode = "paper", ignore_case: bool = False) -> None:
        if mode not in MODES:
            raise ConfigError(f"unknown match mode {mode!r}; use one of {', '.join(MODES)}")
        if ignore_case and mode == "paper":
            raise ConfigError("ignore_case applies to the boundary mode; the paper's rule is case-sensitive")
        if not facts:
            raise ConfigError("no facts to count")
        self.facts = list(facts)
        self.mode: MatchMode = mode
        self.ignore_case = ignore_case
        entity_ids: dict[object, int] = {}
        entity_names: list[tuple[str, ...]] = []

        def entity(label: str, entity_id: str | None, names: tuple[str, ...]) -> int:
            key: object = label if mode == "paper" else (("id", entity_id) if entity_id else ("label", label))
            if key not in entity_ids:
                entity_ids[key] = len(entity_names)
                entity_names.append((label,) if mode == "paper" else names)
            return entity_ids[key]

        subjects, objects = [], []
        for number, fact in enumerate(self.facts):
            if not fact.subject or not fact.object:
                raise ConfigError(f"fact {number} ({fact.key}) has an empty subject or object label")
            subjects.append(entity(fact.subject, fact.subject_id, fact.subject_names()))
            objects.append(entity(fact.object, fact.object_id, fact.object_names()))
        self.fact_subject = np.asarray(subjects, np.int64)
        self.fact_object = np.asarray(objects, np.int64)
        self.entity_names = entity_names

        # patterns (bytes starting with a space) -> entities, as CSR
        pattern_ids: dict[bytes, int] = {}
        pairs: list[tuple[int, int]] = []
        for entity_number, names in enumerate(entity_names):
            for name in names:
                pattern = self._pattern(name)
                if pattern is None:
                    continue
                pid = pattern_ids.setdefault(pattern, len(pattern_ids))
                pairs.append((pid, entity_number))
        if not pattern_ids:
            raise ConfigError("no usable pattern: every label is empty after normalisation")
        self.pattern_bytes = list(pattern_ids)
        too_long = [p for p in self.pattern_bytes if len(p) > _MAX_PATTERN_BYTES or b"\0" in p]
        if too_long:
            raise ConfigError(f"label {too_long[0][:80]!r} is longer than {_MAX_PATTERN_BYTES} bytes or holds a NUL")
        pair_array = np.unique(np.asarray(pairs, np.int64), axis=0)
        self._pattern_ptr = np.searchsorted(pair_array[:, 0], np.arange(len(self.pattern_bytes) + 1))
        self._pattern_entities = pair_array[:, 1]
        self._one_to_one = bool(np.all(np.diff(self._pattern_ptr) == 1)) and np.unique(pair_array[:, 1]).size == len(
            pair_array
        )
        # subject entity -> facts, as CSR (facts sorted by subject)
        order = np.argsort(self.fact_subject, kind="stable")
        self._subject_facts = order
        self._subject_ptr = np.searchsorted(self.fact_subject[order], np.arange(self.n_entities + 1))
        self._words = WordMatcher(self.pattern_bytes)

    # -- construction -------------------------------------------------------------------------------------------
    @property
    def n_facts(self) -> int:
        return len(self.facts)

    @property
    def n_entities(self) -> int:
        return len(self.entity_names)

    @property
    def patterns(self) -> list[str]:
        return [p.decode("utf-8", "surrogatepass") for p in self.pattern_bytes]

    def _pattern(self, name: str) -> bytes | None:
        if self.mode == "paper":
            return b" " + _encode(name)
        normal = normalize_boundary(name, self.ignore_case)
        return normal if normal.strip() else None

    # -- counting -----------------------------------------------------------------------------------------------
    def prepare(self, text: str) -> bytes:
        """A document as the matcher sees it (UTF-8; normalised in boundary mode)."""
        return _encode(text) if self.mode == "paper" else normalize_boundary(text, self.ignore_case)

    def count(self, texts: Iterable[str], batch_bytes: int = DEFAULT_BATCH_BYTES) -> RawCounts:
        """Count over documents (strings); one :class:`RawCounts` for all of them."""
        total = RawCounts.zeros(self.n_entities, self.n_facts)
        for batch in _batches((self.prepare(t) for t in texts), batch_bytes):
            total += self.count_prepared(batch)
        return total

    def count_prepared(self, docs: Sequence[bytes]) -> RawCounts:
        """Count one batch of documents already passed through :meth:`prepare`."""
        counts = RawCounts.zeros(self.n_entities, self.n_facts)
        counts.n_docs = len(docs)
        counts.n_bytes = sum(map(len, docs))
        if not docs:
            return counts
        doc_ids, pattern_ids = self._distinct_matches(docs)
        if doc_ids.size == 0:
            return counts
        # (document, pattern) -> (document, entity), distinct
        if self._one_to_one:
            entities = self._pattern_entities[pattern_ids]
            keys = doc_ids * self.n_entities + entities
            keys.sort()
        else:
            starts = self._pattern_ptr[pattern_ids]
            sizes = self._pattern_ptr[pattern_ids + 1] - starts
            rows = np.repeat(np.arange(sizes.size), sizes)
            entities = self._pattern_entities[_ranges(starts, sizes)]
            keys = np.unique(doc_ids[rows] * self.n_entities + entities)
        docs_of, entities = np.divmod(keys, self.n_entities)
        counts.entity_docs += np.bincount(entities, minlength=self.n_entities)
        # N_so: each (document, subject entity) expands to that subject's facts; keep those whose object is present
        starts = self._subject_ptr[entities]
        sizes = self._subject_ptr[entities + 1] - starts
        if sizes.sum():
            facts = self._subject_facts[_ranges(starts, sizes)]
            wanted = np.repeat(docs_of, sizes) * self.n_entities + self.fact_object[facts]
            where = np.searchsorted(keys, wanted)
            hit = keys[np.minimum(where, keys.size - 1)] == wanted
            counts.n_so += np.bincount(facts[hit], minlength=self.n_facts)
        return counts

    def _distinct_matches(self, docs: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """Distinct (document, pattern) pairs of a batch."""
        lengths = np.fromiter(map(len, docs), np.int64, len(docs))
        doc_starts = np.zeros(len(docs), np.int64)
        np.cumsum(lengths[:-1] + 1, out=doc_starts[1:])
        joined = b"\0".join(docs) + b"\0" * PADDING
        data = np.frombuffer(joined, np.uint8)
        positions, pattern_ids = self._words.match(data)
        if positions.size == 0:
            return positions, pattern_ids
        doc_ids = np.searchsorted(doc_starts, positions, side="right") - 1
        keys = np.unique(doc_ids * len(self.pattern_bytes) + pattern_ids)
        return np.divmod(keys, len(self.pattern_bytes))


def _ranges(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + n)`` for each (s, n), vectorised."""
    total = int(sizes.sum())
    if total == 0:
        return np.empty(0, np.int64)
    offsets = np.repeat(starts - np.cumsum(sizes) + sizes, sizes)
    return offsets + np.arange(total)


def _batches(items: Iterable[bytes], batch_bytes: int) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    size = 0
    for item in items:
        batch.append(item)
        size += len(item) + 1
        if size >= batch_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def mutual_information(n_docs: np.ndarray, n_s: np.ndarray, n_o: np.ndarray, n_so: np.ndarray) -> np.ndarray:
    """``p_so * log2(p_so / (p_s * p_o))`` per fact with ``p = count / N`` (arXiv 2502.04066); 0 where ``N_so`` is 0.

    Example:
        >>> mutual_information(np.array([100, 100]), np.array([10, 10]), np.array([20, 20]), np.array([5, 0])).round(4)
        array([0.0661, 0.    ])
    """
    n = np.asarray(n_docs, dtype=np.float64)
    ps, po, pso = (np.asarray(c, dtype=np.float64) / n for c in (n_s, n_o, n_so))
    with np.errstate(divide="ignore", invalid="ignore"):
        mi = pso * np.log2(pso / (ps * po))
    return np.where(pso > 0, mi, 0.0)
