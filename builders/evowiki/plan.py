"""What an EvoWiki build reads and judges once before any row streams: snapshots, fact states, names, corpus.

Counted here (facts = (subject, property) pairs with a question template):

* ``snapshot_before_cutoff``: facts of entities whose snapshot (``modified`` day) predates the cut-off: what they
  say now is not known to hold after the cut-off, so they are skipped (and are no bridge);
* ``snapshot_undated``: facts of entities whose document has no ``modified`` time (the day of the snapshot is
  unknown), skipped likewise;
* ``duplicate_documents``: older documents of an entity given several times (the newest wins);
* ``removed_facts`` (two snapshots): pairs whose every value was removed (no question);
* ``judged_from_qualifiers`` (two snapshots): subjects the older snapshot lacks, judged from the newer one's time
  qualifiers;
* ``unsupported_facts``: facts of properties without a template; subjects without a label, and subjects whose
  label is shared with another subject and whose descriptions do not tell them apart (their questions are dropped).

A cut-off after every snapshot is warned about (:class:`CutoffAfterSnapshotsWarning`): nothing can be judged.

Example:
    >>> issubclass(CutoffAfterSnapshotsWarning, UserWarning)
    True
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowbench.builders.evowiki.facts import (
    STATES,
    FactState,
    Snapshot,
    cutoff_facts,
    diff_facts,
    group_by_property,
    parse_day,
    snapshot_day,
    truthy,
)
from knowbench.builders.evowiki.questions import QuestionContext
from knowbench.builders.evowiki.retrieval import RetrievalPassage, fact_passages, wikipedia_passages
from knowbench.builders.evowiki.templates import TEMPLATES, with_article


class CutoffAfterSnapshotsWarning(UserWarning):
    """The cut-off is after every snapshot given: no fact can be judged."""


@dataclass
class EvoWikiPlan:
    """The judged inputs of one build."""

    snapshot: Snapshot
    old_snapshot: Snapshot | None
    context: QuestionContext
    subjects: list[str]
    corpus: list[RetrievalPassage]
    counts: Counter[str] = field(default_factory=Counter)
    fact_states: Counter[str] = field(default_factory=Counter)
    changes: Counter[str] = field(default_factory=Counter)
    previous: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The plan's numbers for the card (dates, counts, warnings)."""
        dates, old = self.snapshot.dates, self.old_snapshot.dates if self.old_snapshot else []
        return {
            "snapshot_first": dates[0].isoformat() if dates else "unknown",
            "snapshot_last": dates[-1].isoformat() if dates else "unknown",
            "old_first": old[0].isoformat() if old else None,
            "old_last": old[-1].isoformat() if old else None,
            "old_subjects": len(self.old_snapshot.subjects()) if self.old_snapshot else 0,
            "skipped": {k: self.counts.get(k, 0) for k in (
                "snapshot_before_cutoff", "snapshot_undated", "duplicate_documents", "removed_facts",
                "judged_from_qualifiers", "unsupported_facts", "unlabelled_subjects", "label_collisions")},
            "fact_states": {s: self.fact_states.get(s, 0) for s in STATES},
            "changes": self.changes.most_common(),
            "warnings": list(self.warnings),
        }


def _labels(config: Any) -> Any:
    from knowbench.datasets_src.evowiki.labels import LabelStore

    labels = LabelStore(config.language)
    if config.labels:
        from knowbench.datasets_src.evowiki.wikidata import iter_entities

        for entity in iter_entities(list(config.labels), language=config.language):
            if entity.label is not None:
                labels.add(entity.id, entity.label, entity.aliases)
    return labels


def subject_names(snapshot: Snapshot, subjects: list[str], counts: Counter[str]) -> dict[str, str]:
    """The name of each subject in questions: its label with "the" where English needs it; subjects sharing a
    label get their description in parentheses, and are left out (counted) when that does not tell them apart."""
    by_label: dict[str, list[str]] = {}
    for subject in subjects:
        label = snapshot.label(subject)
        if label is None:
            counts["unlabelled_subjects"] += 1
            continue
        by_label.setdefault(" ".join(label.casefold().split()), []).append(subject)
    names: dict[str, str] = {}
    for group in by_label.values():
        descriptions = [snapshot.entities[s].description for s in group]
        for subject, description in zip(group, descriptions, strict=True):
            entity = snapshot.entities[subject]
            classes = [s.value for s in truthy(entity.statements) if s.property == "P31"]
            name = with_article(str(entity.label or snapshot.label(subject)), classes,
                                [snapshot.label(c) for c in classes])
            if len(group) == 1:
                names[subject] = name
            elif description and descriptions.count(description) == 1:
                names[subject] = f"{name} ({description})"
            else:
                counts["label_collisions"] += 1
    return names


def make_plan(config: Any) -> EvoWikiPlan:
    """Read the inputs of ``config`` (an :class:`~knowbench.builders.evowiki.EvoWikiConfig`) and judge every fact."""
    cutoff = parse_day(config.cutoff, "cutoff")
    labels = _labels(config)
    old = Snapshot.read(config.wikidata_old, config.language, labels) if config.wikidata_old else None
    snapshot = Snapshot.read(config.wikidata, config.language, labels)
    counts: Counter[str] = Counter(duplicate_documents=snapshot.duplicates)
    states: Counter[str] = Counter()
    changes: Counter[str] = Counter()
    facts: dict[str, dict[str, FactState]] = {}
    for entity in snapshot.subjects():
        supported = [p for p, group in group_by_property(entity.statements).items() if truthy(group)]
        counts["unsupported_facts"] += sum(1 for p in supported if p not in TEMPLATES)
        supported = [p for p in supported if p in TEMPLATES]
        day = snapshot_day(entity)
        if day is None or day < cutoff:
            counts["snapshot_undated" if day is None else "snapshot_before_cutoff"] += len(supported)
            continue
        if old is not None and entity.id in old.entities:
            found, fact_changes = diff_facts(old.entities[entity.id], entity, cutoff, supported)
            changes.update(c.kind for c in fact_changes)
            counts["removed_facts"] += len({c.property for c in fact_changes} - {f.property for f in found})
        else:
            counts["judged_from_qualifiers"] += old is not None
            found = cutoff_facts(entity, cutoff, supported)
        states.update(f.state for f in found)
        facts[entity.id] = {f.property: f for f in found}
    dates = snapshot.dates
    plan_warnings = []
    if not dates or dates[-1] < cutoff:
        message = (f"cutoff {config.cutoff} is after every snapshot (newest: "
                   f"{dates[-1].isoformat() if dates else 'no dated entity'}): no fact can be judged")
        warnings.warn(message, CutoffAfterSnapshotsWarning, stacklevel=2)
        plan_warnings.append(message)
    subjects = sorted(facts)
    names = subject_names(snapshot, subjects, counts)
    owners: dict[str, set[str]] = {}
    for entity_id, label in snapshot.labels.items():  # type: ignore[attr-defined]
        owners.setdefault(" ".join(label.casefold().split()), set()).add(entity_id)
    context = QuestionContext(snapshot, facts, config.cutoff, names, config.max_hops, config.max_chains_per_subject,
                              owners)
    corpus_date = parse_day(config.corpus_date, "corpus_date") if config.corpus_date else snapshot.date
    corpus = list(fact_passages(snapshot, facts, TEMPLATES))
    if config.wikipedia:
        corpus.extend(wikipedia_passages(config.wikipedia, corpus_date, config.passage_words))
    return EvoWikiPlan(snapshot, old, context, subjects, corpus, counts, states, changes,
                       previous_rows(config.reuse, config.changed), plan_warnings)


def previous_rows(folder: Path | None, changed: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Rows of the folder being updated whose entities did not change (their retrieval results are kept)."""
    if folder is None:
        return {}
    import pyarrow.parquet as pq

    rows: dict[str, dict[str, Any]] = {}
    for state in STATES:
        for path in sorted((Path(folder) / "data" / state).glob("test-*.parquet")):
            for row in pq.read_table(path).to_pylist():
                if not set(changed).intersection(row["path_entities"]):
                    rows[row["id"]] = row
    return rows
