"""Labels (and aliases) of the entities that facts point to, from every entity document in the inputs.

Two stores answer the same questions (``get(id) -> label | None``, ``aliases(id) -> tuple``):

* :class:`LabelStore`: an in-memory dict, for the samples and API responses (labels-only ``wbgetentities``
  responses such as ``..._props_labels.json`` included);
* :class:`SqliteLabelStore`: an on-disk sqlite3 table, built by one pass over a full dump
  (:meth:`SqliteLabelStore.build`, written atomically) and opened read-only afterwards.

Example:
    >>> store = LabelStore()
    >>> store.add_document({"id": "P26", "labels": {"en": {"language": "en", "value": "spouse"}}})
    >>> store.get("P26"), store.get("Q1")
    ('spouse', None)
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

import orjson

from knowbench.datasets_src.evowiki.dumpio import PathLike, as_paths, iter_documents
from knowbench.errors import MissingInputError
from knowbench.progress import make_progress


class LabelLookup(Protocol):
    """What the builder needs from a label store."""

    def get(self, entity_id: str) -> str | None: ...

    def aliases(self, entity_id: str) -> tuple[str, ...]: ...

    def __contains__(self, entity_id: object) -> bool: ...


def document_names(doc: dict[str, Any], language: str = "en") -> tuple[str | None, tuple[str, ...]]:
    """(label, aliases) of one entity document in ``language`` (label falls back to ``mul``)."""
    label = None
    labels = doc.get("labels")
    if isinstance(labels, dict):
        for key in (language, "mul"):
            if labels.get(key):
                label = str(labels[key]["value"])
                break
    aliases: tuple[str, ...] = ()
    raw_aliases = doc.get("aliases")
    if isinstance(raw_aliases, dict) and raw_aliases.get(language):
        aliases = tuple(str(a["value"]) for a in raw_aliases[language])
    return label, aliases


class LabelStore:
    """In-memory labels and aliases by entity id; later documents fill in what earlier ones lacked.

    Example:
        >>> store = LabelStore.from_paths([])
        >>> len(store)
        0
    """

    def __init__(self, language: str = "en") -> None:
        self.language = language
        self._labels: dict[str, str] = {}
        self._aliases: dict[str, tuple[str, ...]] = {}

    @classmethod
    def from_paths(
        cls, paths: Iterable[PathLike] | PathLike, language: str = "en", fast: bool = True
    ) -> LabelStore:
        """Collect the labels of every entity document in ``paths`` (files or folders)."""
        store = cls(language)
        for doc in iter_documents(paths, fast=fast):
            store.add_document(doc)
        return store

    def add_document(self, doc: dict[str, Any]) -> None:
        """Take the label/aliases of one entity document (a labels-only API entry is enough)."""
        label, aliases = document_names(doc, self.language)
        entity_id = str(doc["id"])
        if label is not None:
            self._labels[entity_id] = label  # newest document wins for the label
        if aliases:
            self._aliases[entity_id] = aliases

    def add(self, entity_id: str, label: str, aliases: Iterable[str] = ()) -> None:
        self._labels[entity_id] = label
        aliases = tuple(aliases)
        if aliases:
            self._aliases[entity_id] = aliases

    def get(self, entity_id: str) -> str | None:
        return self._labels.get(entity_id)

    def aliases(self, entity_id: str) -> tuple[str, ...]:
        return self._aliases.get(entity_id, ())

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._labels

    def __len__(self) -> int:
        return len(self._labels)

    def items(self) -> Iterator[tuple[str, str]]:
        return iter(self._labels.items())


class SqliteLabelStore:
    """Labels on disk (sqlite3), for a full dump whose labels do not fit in memory.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "p.json").write_text('{"id": "P26", "labels": {"en": {"value": "spouse"}}}')
        >>> with SqliteLabelStore.build([folder / "p.json"], folder / "labels.sqlite", progress=False) as store:
        ...     store.get("P26")
        'spouse'
    """

    def __init__(self, db_path: PathLike) -> None:
        self.path = Path(db_path)
        if not self.path.is_file():
            raise MissingInputError(self.path, "label store (build it with SqliteLabelStore.build)")
        self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        (self.language,) = self._db.execute("SELECT value FROM meta WHERE key = 'language'").fetchone()

    @classmethod
    def build(
        cls,
        paths: Iterable[PathLike] | PathLike,
        db_path: PathLike,
        language: str = "en",
        fast: bool = True,
        threads: int | None = None,
        batch: int = 10_000,
        progress: bool = True,
    ) -> SqliteLabelStore:
        """One pass over ``paths`` into a new sqlite file at ``db_path`` (atomic: temp file, then rename)."""
        db_path = Path(db_path)
        db_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = db_path.with_name(f".{db_path.name}.tmp-{os.getpid()}")
        tmp.unlink(missing_ok=True)
        try:
            db = sqlite3.connect(tmp)
            db.executescript(
                "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                "CREATE TABLE labels (id TEXT PRIMARY KEY, label TEXT, aliases BLOB) WITHOUT ROWID;"
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
            )
            db.execute("INSERT INTO meta VALUES ('language', ?)", (language,))
            rows: list[tuple[str, str | None, bytes | None]] = []
            insert = "INSERT OR REPLACE INTO labels VALUES (?, ?, ?)"
            bar = make_progress(transient=True) if progress else None
            with bar if bar is not None else contextlib.nullcontext():
                task = bar.add_task("labels", total=None) if bar is not None else None
                for path in as_paths(paths):
                    for doc in iter_documents(path, fast=fast, threads=threads):
                        label, aliases = document_names(doc, language)
                        if label is None and not aliases:
                            continue
                        rows.append((str(doc["id"]), label, orjson.dumps(aliases) if aliases else None))
                        if len(rows) >= batch:
                            db.executemany(insert, rows)
                            if bar is not None and task is not None:
                                bar.advance(task, len(rows))
                            rows = []
                if rows:
                    db.executemany(insert, rows)
            db.commit()
            db.close()
            os.replace(tmp, db_path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return cls(db_path)

    def get(self, entity_id: str) -> str | None:
        row = self._db.execute("SELECT label FROM labels WHERE id = ?", (entity_id,)).fetchone()
        return row[0] if row else None

    def get_many(self, entity_ids: Iterable[str]) -> dict[str, str]:
        """Labels of many ids in one query per 500 ids (missing ids are left out)."""
        ids = list(dict.fromkeys(entity_ids))
        found: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT id, label FROM labels WHERE id IN ({marks}) AND label IS NOT NULL"
            found.update(self._db.execute(query, chunk).fetchall())
        return found

    def aliases(self, entity_id: str) -> tuple[str, ...]:
        row = self._db.execute("SELECT aliases FROM labels WHERE id = ?", (entity_id,)).fetchone()
        return tuple(orjson.loads(row[0])) if row and row[0] else ()

    def __contains__(self, entity_id: object) -> bool:
        return self.get(str(entity_id)) is not None

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM labels WHERE label IS NOT NULL").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SqliteLabelStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
