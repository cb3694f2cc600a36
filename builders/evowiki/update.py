"""``knowbench update evowiki``: fetch the entities that changed since a date and rebuild what they touch.

The folder's ``provenance.json`` holds the options of its build. The update

1. lists the entities the folder tracks (its subjects, and with ``neighbours`` the entities their facts of
   properties with question templates point to, which may become new subjects: each update grows the graph by
   one ring) and fetches them with ``wbgetentities`` through
   :class:`~knowbench.datasets_src.evowiki.api.WikidataClient` (with ``recent_changes`` only the ids that
   ``list=recentchanges`` reports since the date);
2. keeps the fetched entities modified on or after ``since`` whose fingerprint (labels, sitelinks, statements)
   differs from the folder's snapshot, and writes them as JSON lines to the update store (by default
   ``<folder>.updates/``, beside the folder), which later builds read as one more Wikidata input;
3. rebuilds the folder atomically with the store added: rows whose chain touches no changed entity keep their
   retrieval results (no retrieval is run for them); rows of changed entities are generated and retrieved again.

Example:
    >>> from knowbench.builders.evowiki.update import update_folder  # doctest: +SKIP
    >>> report = update_folder("out/evowiki", "2025-01-01", api_url="http://127.0.0.1:8080/w/api.php")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowbench.builders.evowiki.facts import Snapshot, entity_fingerprint, parse_day
from knowbench.errors import DatasetFolderError
from knowbench.io import read_json


@dataclass
class EvoWikiUpdateReport:
    """What an update checked, fetched and rebuilt."""

    folder: Path
    store_file: Path | None
    checked: int = 0
    fetched: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    new_subjects: list[str] = field(default_factory=list)
    reused_rows: int = 0
    regenerated_rows: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()}


def read_build_options(folder: Path) -> dict[str, Any]:
    """The builder options recorded in ``folder/provenance.json`` (an EvoWiki build)."""
    provenance = folder / "provenance.json"
    if not provenance.is_file():
        raise DatasetFolderError(f"{folder}: no provenance.json (not a knowbench build)")
    record = read_json(provenance, what="a provenance object")
    if record.get("dataset") != "evowiki":
        raise DatasetFolderError(f"{provenance}: built by {record.get('dataset')!r}, not 'evowiki'")
    return dict(record["config"])


def update_folder(
    folder: str | os.PathLike[str],
    since: str,
    api_url: str | None = None,
    store: str | os.PathLike[str] | None = None,
    neighbours: bool = True,
    recent_changes: bool = False,
    batch_size: int = 50,
    show_progress: bool = False,
) -> EvoWikiUpdateReport:
    """Update a built EvoWiki folder in place (see the module docstring)."""
    from knowbench.builders import build
    from knowbench.datasets_src.evowiki.api import WIKIDATA_API, WikidataClient
    from knowbench.datasets_src.evowiki.wikidata import parse_entity

    folder = Path(folder)
    since_day = parse_day(since, "since")
    options = read_build_options(folder)
    options.pop("reuse", None)
    options.pop("changed", None)
    snapshot = Snapshot.read(options["wikidata"], options.get("language", "en"))
    tracked = [e.id for e in snapshot.subjects()]
    if neighbours:
        from knowbench.builders.evowiki.questions import TEMPLATES

        tracked += [s.value for e in snapshot.subjects() for s in e.statements
                    if s.value_type == "wikibase-item" and s.property in TEMPLATES]
    tracked = list(dict.fromkeys(tracked))
    store_dir = Path(store) if store is not None else folder.parent / f"{folder.name}.updates"
    report = EvoWikiUpdateReport(folder, None, checked=len(tracked))
    with WikidataClient(api_url or WIKIDATA_API, batch_size=batch_size) as client:
        if recent_changes:
            recent = set(client.changed_since(since_day))
            tracked = [i for i in tracked if i in recent]
        docs = list(client.fetch_entities(tracked))
    report.fetched = len(docs)
    got = {str(d.get("id")) for d in docs}
    report.missing = [i for i in tracked if i not in got]
    keep = []
    for doc in docs:
        entity = parse_entity(doc, language=options.get("language", "en"), special_values=True)
        if entity.modified is None or datetime.date.fromisoformat(entity.modified[:10]) < since_day:
            continue
        held = snapshot.entities.get(entity.id)
        if held is not None and entity_fingerprint(held) == entity_fingerprint(entity):
            continue
        if not entity.statements and held is None:
            continue  # a labels-only or empty document is no new subject
        keep.append(doc)
        report.changed.append(entity.id)
        if held is None or not held.statements:
            report.new_subjects.append(entity.id)
    if not keep:
        return report
    from knowbench.io import atomic_write_jsonl

    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    report.store_file = store_dir / f"entities-since-{since_day.isoformat()}-{stamp}.jsonl"

    atomic_write_jsonl(report.store_file, keep)
    options["wikidata"] = [*options["wikidata"], str(report.store_file)]
    built = build("evowiki", folder, show_progress=show_progress, **options, reuse=folder,
                  changed=tuple(report.changed))
    report.reused_rows = built.statistics["reused"]
    report.regenerated_rows = built.statistics["questions"] - built.statistics["reused"]
    return report
