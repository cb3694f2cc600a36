"""EvoWiki fact timelines and their state (stable / evolved / uncharted) relative to a cut-off.

A *fact* is one (subject, property) pair with every non-deprecated statement it has. Its state comes either from
one snapshot and a cut-off date, read from the time qualifiers (:func:`state_at_cutoff`), or from two snapshots
of the same entity, by diffing their statements (:func:`diff_facts`). The rules, also stated in the card:

One snapshot + cut-off (a statement's *date* is its start time P580, else its point in time P585; a date of
coarse precision counts at its earliest day, so ``2024`` is 2024-01-01):

* a statement is *new* when its date is after the cut-off; *known* otherwise (undated statements are known);
* a known statement *ends after* the cut-off when its end time P582 is after the cut-off;
* **uncharted**: no known statement (every value began after the cut-off), or the subject itself was born or
  founded (P569 / P571) after the cut-off;
* **evolved**: some known statement, and some new statement or some known statement that ends after the cut-off;
* **stable**: every statement is known and none ends after the cut-off.

Two snapshots (values compared as sets of non-deprecated values; statement ids are not trusted, they change when
an editor re-adds a value):

* **uncharted**: the old snapshot has no value for the pair (new entity or new property);
* **evolved**: a value was added or removed, or a value open-ended in the old snapshot is closed (P582) in the
  new one;
* **stable**: the same values; changes of rank (normal/preferred) or of start/point-in-time qualifiers alone
  do not make a fact evolve (they are listed as ``reranked`` / ``requalified`` changes);
* a pair with values in the old snapshot and none in the new one is *removed*: it gets no question.

Example:
    >>> import datetime
    >>> from knowbench.datasets_src.evowiki.types import Statement, WikidataTime
    >>> old = Statement("Q1", "P6", "Q10", "wikibase-item", "normal", WikidataTime("+2010-01-01T00:00:00Z", 11),
    ...                 WikidataTime("+2020-05-01T00:00:00Z", 11), None, "a")
    >>> new = Statement("Q1", "P6", "Q11", "wikibase-item", "normal", WikidataTime("+2020-05-01T00:00:00Z", 11),
    ...                 None, None, "b")
    >>> state_at_cutoff([old, new], datetime.date(2019, 1, 1)).state
    'evolved'
    >>> [s.value for s in current_statements([old, new])]
    ['Q11']
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from knowbench.datasets_src.evowiki.types import Entity, Statement, WikidataTime

STATES = ("stable", "evolved", "uncharted")
CHANGE_KINDS = ("added", "removed", "ended", "requalified", "reranked")
#: kinds of change that make a fact evolve (the others are curation)
EVOLVING = frozenset({"added", "removed", "ended"})


def statement_date(statement: Statement) -> WikidataTime | None:
    """The date a statement begins to hold: its start time (P580), else its point in time (P585)."""
    return statement.start or statement.point_in_time


def truthy(statements: Iterable[Statement]) -> list[Statement]:
    """Statements that count: every rank but ``deprecated``."""
    return [s for s in statements if s.rank != "deprecated"]


def _day(time: WikidataTime | None) -> datetime.date | None:
    return time.start() if time is not None else None


def current_statements(statements: Sequence[Statement], at: datetime.date | None = None) -> list[Statement]:
    """The statements in force at ``at`` (``None``: at the snapshot), latest first.

    Preferred rank wins over normal (Wikidata's "best rank"); statements that ended (P582 on or before ``at``)
    are out unless every statement ended. When the pair is a series of measurements (values with a point in
    time and no start, e.g. population), only the latest measurement is in force.
    """
    pool = truthy(statements)
    if at is not None:
        pool = [s for s in pool if not (statement_date(s) and statement_date(s).start() > at)]  # type: ignore[union-attr]
    if not pool:
        return []
    preferred = [s for s in pool if s.rank == "preferred"]
    pool = preferred or pool

    def ended(s: Statement) -> bool:
        return s.end is not None and (at is None or s.end.start() <= at)

    pool = [s for s in pool if not ended(s)] or pool
    if any(s.point_in_time is not None and s.start is None for s in pool):
        dated = [s for s in pool if statement_date(s) is not None]
        latest = max(statement_date(s).start() for s in dated)  # type: ignore[union-attr]
        pool = [s for s in dated if statement_date(s).start() == latest]  # type: ignore[union-attr]

    def order(s: Statement) -> tuple[int, datetime.date]:
        day = _day(statement_date(s))
        return (1, day) if day else (0, datetime.date.min)

    return sorted(pool, key=order, reverse=True)


def unique_values(statements: Iterable[Statement]) -> list[str]:
    """The distinct values of ``statements`` in order."""
    return list(dict.fromkeys(s.value for s in statements))


@dataclass(frozen=True)
class FactState:
    """The state of one (subject, property) pair and the values in force at the cut-off and now."""

    subject: str
    property: str
    state: str
    statements: tuple[Statement, ...]
    cutoff_values: tuple[str, ...]
    current_values: tuple[str, ...]
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class Change:
    """One difference between two snapshots of a fact (``kind`` in :data:`CHANGE_KINDS`)."""

    subject: str
    property: str
    kind: str
    value: str
    value_type: str


def state_at_cutoff(statements: Sequence[Statement], cutoff: datetime.date) -> FactState:
    """Classify one fact from a single snapshot by its time qualifiers (rules in the module docstring)."""
    pool = truthy(statements)
    if not pool:
        raise ValueError("a fact needs at least one non-deprecated statement")

    def is_new(s: Statement) -> bool:
        day = _day(statement_date(s))
        return day is not None and day > cutoff

    known = [s for s in pool if not is_new(s)]
    if not known:
        state = "uncharted"
    elif len(known) < len(pool) or any(s.end is not None and s.end.start() > cutoff for s in known):
        state = "evolved"
    else:
        state = "stable"
    return FactState(
        subject=pool[0].subject,
        property=pool[0].property,
        state=state,
        statements=tuple(pool),
        cutoff_values=tuple(unique_values(current_statements(pool, at=cutoff))),
        current_values=tuple(unique_values(current_statements(pool))),
    )


def _intervals(statements: Iterable[Statement], value: str) -> set[tuple[str | None, str | None, str | None]]:
    return {
        (s.start.iso() if s.start else None, s.end.iso() if s.end else None,
         s.point_in_time.iso() if s.point_in_time else None)
        for s in statements
        if s.value == value
    }


def diff_statements(subject: str, prop: str, old: Sequence[Statement], new: Sequence[Statement]) -> list[Change]:
    """The changes of one fact between an old and a new snapshot (see the module docstring)."""
    old_pool, new_pool = truthy(old), truthy(new)
    old_values, new_values = unique_values(old_pool), unique_values(new_pool)
    types = {s.value: s.value_type for s in (*old_pool, *new_pool)}
    changes: list[Change] = []

    def add(kind: str, value: str) -> None:
        changes.append(Change(subject, prop, kind, value, types[value]))

    for value in new_values:
        if value not in old_values:
            add("added", value)
    for value in old_values:
        if value not in new_values:
            add("removed", value)
    for value in old_values:
        if value not in new_values:
            continue
        was_open = any(s.end is None for s in old_pool if s.value == value)
        is_open = any(s.end is None for s in new_pool if s.value == value)
        if was_open and not is_open:
            add("ended", value)
        elif _intervals(old_pool, value) != _intervals(new_pool, value):
            add("requalified", value)
        elif {s.rank for s in old_pool if s.value == value} != {s.rank for s in new_pool if s.value == value}:
            add("reranked", value)
    return changes


def diff_facts(
    old: Entity | None, new: Entity, properties: Iterable[str] | None = None
) -> tuple[list[FactState], list[Change]]:
    """States of every fact of ``new`` (compared with ``old``; ``None`` = a new entity) and every change.

    Returns the fact states (pairs with no value left in ``new`` are omitted: they are *removed*) and all changes,
    including those of removed pairs.
    """
    wanted = set(properties) if properties is not None else None
    old_by = group_by_property(old.statements if old is not None else ())
    new_by = group_by_property(new.statements)
    facts: list[FactState] = []
    changes: list[Change] = []
    for prop in dict.fromkeys([*new_by, *old_by]):
        if wanted is not None and prop not in wanted:
            continue
        before, after = truthy(old_by.get(prop, ())), truthy(new_by.get(prop, ()))
        fact_changes = diff_statements(new.id, prop, before, after)
        changes.extend(fact_changes)
        if not after:
            continue
        if not before:
            state = "uncharted"
        elif any(c.kind in EVOLVING for c in fact_changes):
            state = "evolved"
        else:
            state = "stable"
        facts.append(
            FactState(
                subject=new.id,
                property=prop,
                state=state,
                statements=tuple(after),
                cutoff_values=tuple(unique_values(current_statements(before))),
                current_values=tuple(unique_values(current_statements(after))),
                changes=tuple(fact_changes),
            )
        )
    return facts, changes


#: properties whose date says when an entity began to exist: date of birth, inception
BEGINNING = ("P569", "P571")


def begins_after(entity: Entity, cutoff: datetime.date) -> bool:
    """Whether the entity was born / founded after ``cutoff`` (then every fact of it is new)."""
    for s in truthy(entity.statements):
        if s.property in BEGINNING and s.value_type == "time":
            try:
                if WikidataTime(s.value, 11).start() > cutoff:
                    return True
            except ValueError:
                continue
    return False


def cutoff_facts(entity: Entity, cutoff: datetime.date, properties: Iterable[str] | None = None) -> list[FactState]:
    """States of every fact of one snapshot entity relative to ``cutoff``.

    An entity born or founded after the cut-off (P569 / P571) is new: all its facts are uncharted.
    """
    wanted = set(properties) if properties is not None else None
    facts = [
        state_at_cutoff(group, cutoff)
        for prop, group in group_by_property(entity.statements).items()
        if (wanted is None or prop in wanted) and truthy(group)
    ]
    if begins_after(entity, cutoff):
        facts = [dataclasses.replace(f, state="uncharted", cutoff_values=()) for f in facts]
    return facts


def group_by_property(statements: Iterable[Statement]) -> dict[str, list[Statement]]:
    groups: dict[str, list[Statement]] = {}
    for s in statements:
        groups.setdefault(s.property, []).append(s)
    return groups


def combine_states(states: Iterable[str]) -> str:
    """The state of a multi-hop chain: uncharted if any hop is, else evolved if any hop is, else stable."""
    states = list(states)
    for state in ("uncharted", "evolved"):
        if state in states:
            return state
    return "stable"


def entity_fingerprint(entity: Entity) -> str:
    """A digest of what the questions read from an entity (labels, aliases, sitelinks, statements)."""
    digest = hashlib.sha256()
    digest.update(repr((entity.id, entity.label, entity.aliases, entity.sitelinks, entity.description)).encode())
    for s in sorted(entity.statements, key=lambda s: (s.property, s.statement_id, s.value)):
        digest.update(repr((s.property, s.value, s.rank, s.start, s.end, s.point_in_time)).encode())
    return digest.hexdigest()[:16]


def parse_date(text: str, what: str = "date") -> datetime.date:
    """``YYYY-MM-DD`` -> date, with an error that names the bad value."""
    from knowbench.errors import ConfigError

    try:
        return datetime.date.fromisoformat(str(text))
    except ValueError:
        raise ConfigError(f"{what} must be YYYY-MM-DD, got {what}={text!r}") from None


@dataclass
class Snapshot:
    """The entities of one Wikidata snapshot (latest document per id) and the labels of everything they point to.

    Example:
        >>> fact = Statement("Q1", "P31", "Q5", "wikibase-item", "normal", None, None, None, "Q1$a")
        >>> snap = Snapshot.from_entities([Entity("Q1", "one", None, (), 2, None, "2024-01-01T00:00:00Z", (fact,))])
        >>> snap.date, snap.label("Q1"), [e.id for e in snap.subjects()]
        (datetime.date(2024, 1, 1), 'one', ['Q1'])
    """

    entities: dict[str, Entity]
    labels: object  # a LabelStore (``get``/``aliases``)

    @classmethod
    def from_entities(cls, entities: Iterable[Entity], labels: object | None = None) -> Snapshot:
        from knowbench.datasets_src.evowiki.labels import LabelStore

        store = labels if labels is not None else LabelStore()
        chosen: dict[str, Entity] = {}
        for entity in entities:
            if entity.label is not None:
                store.add(entity.id, entity.label, entity.aliases)  # type: ignore[attr-defined]
            held = chosen.get(entity.id)
            if held is None or (entity.modified or "") >= (held.modified or ""):
                chosen[entity.id] = entity
        for entity in chosen.values():  # the newest document of an entity names it
            if entity.label is not None:
                store.add(entity.id, entity.label, entity.aliases)  # type: ignore[attr-defined]
        return cls(chosen, store)

    @classmethod
    def read(cls, paths: Sequence[object], language: str = "en", labels: object | None = None) -> Snapshot:
        from knowbench.datasets_src.evowiki.wikidata import iter_entities

        return cls.from_entities(iter_entities(list(paths), language=language), labels)

    def label(self, entity_id: str) -> str | None:
        return self.labels.get(entity_id)  # type: ignore[attr-defined]

    def aliases(self, entity_id: str) -> tuple[str, ...]:
        return tuple(self.labels.aliases(entity_id))  # type: ignore[attr-defined]

    def subjects(self) -> list[Entity]:
        """Items with statements, in id order (properties and labels-only documents are not subjects)."""
        return [e for _, e in sorted(self.entities.items()) if e.id.startswith("Q") and e.statements]

    @property
    def dates(self) -> list[datetime.date]:
        return sorted(
            datetime.date.fromisoformat(e.modified[:10]) for e in self.subjects() if e.modified
        )

    @property
    def date(self) -> datetime.date | None:
        """The snapshot's date: the newest ``modified`` time among its subjects."""
        dates = self.dates
        return dates[-1] if dates else None
