"""EvoWiki fact states: what a (subject, property) pair answered at the cut-off and what it answers now.

States follow the EvoWiki paper (Tang et al., "EvoWiki: Evaluating LLMs on Evolving Knowledge", ACL 2025,
arXiv:2412.13582, section 3), with the *answer set* of a fact at a day being the values of its statements in
force that day (below):

* **stable**: the fact's answer set at the cut-off equals its latest answer set;
* **evolved**: the fact existed at the cut-off and its answer set changed after it;
* **uncharted**: the subject or the fact did not exist at the cut-off.

Answer set at day ``d`` (Wikidata's "best rank" among the statements in force): deprecated statements never
answer; a statement is in force when it began on or before ``d`` (start time P580, else point in time P585; a
coarse date counts at its earliest day; undated statements are always in force) and has not ended (end time P582
on or before ``d``); among those, preferred rank wins over normal; for quantities (a series of measurements such
as population) only the latest measurement counts. ``novalue`` is a value ("none"): Putin's preferred P102
statement says he belongs to no party since 2012, which outranks the undated normal "United Russia"; when
``novalue`` shares the best rank with real values the real values win. ``somevalue`` (a value exists but is not
known) stays in the set, so a change from or to it counts, but it is never an answer. Properties that hold one
value at a time (:data:`ONE_AT_A_TIME`: spouse, party, team, head of government, residence, ...) keep only the
value that began last when several dated ones are in force (Wikidata often lacks the end of the earlier one).

The *latest* answer set is taken at the entity's snapshot day (its ``modified`` date). A fact is judged only when
that snapshot is at or after the cut-off (otherwise the builder skips it and counts it).

One snapshot: the fact existed at the cut-off when one of its statements was in force or had begun by then (and
the subject was not born / founded, P569 / P571, after the cut-off). Two snapshots: the answer set at the cut-off
is taken from the older snapshot's statements (what a model trained then could know); a fact that the older
snapshot lacks is uncharted, and a subject the older snapshot lacks is judged from the newer one's time
qualifiers. Rank or qualifier edits that leave the answer set as it was are curation, not evolution (they are
listed as ``reranked`` / ``requalified`` changes).

Example:
    >>> import datetime
    >>> from knowbench.datasets_src.evowiki.types import Statement, WikidataTime
    >>> old = Statement("Q1", "P6", "Q10", "wikibase-item", "normal", WikidataTime("+2010-01-01T00:00:00Z", 11),
    ...                 WikidataTime("+2020-05-01T00:00:00Z", 11), None, "a")
    >>> new = Statement("Q1", "P6", "Q11", "wikibase-item", "normal", WikidataTime("+2020-05-01T00:00:00Z", 11),
    ...                 None, None, "b")
    >>> fact = judge_fact("Q1", "P6", [old, new], [old, new], datetime.date(2019, 1, 1), datetime.date(2024, 1, 1))
    >>> fact.state, fact.cutoff_values, fact.current_values
    ('evolved', ('Q10',), ('Q11',))
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from knowbench.datasets_src.evowiki.types import Entity, Statement, WikidataTime

#: the three EvoWiki states, in card order (the one definition; loaders and training import it)
STATES = ("stable", "evolved", "uncharted")
CHANGE_KINDS = ("added", "removed", "ended", "requalified", "reranked")
#: kinds of change that alter the set of values (the others are curation)
EVOLVING = frozenset({"added", "removed", "ended"})
NOVALUE, SOMEVALUE = "novalue", "somevalue"
SPECIAL_VALUES = frozenset({NOVALUE, SOMEVALUE})
#: properties whose date says when an entity began to exist: date of birth, inception
BEGINNING = ("P569", "P571")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: properties with one value at a time (a spouse, a party, a team, a head of government, a residence): when several
#: dated values are in force, the one that began last replaced the others even if their end time is missing
ONE_AT_A_TIME = frozenset({"P26", "P102", "P54", "P6", "P35", "P551", "P169", "P286", "P488", "P1037"})


def parse_day(text: object, what: str = "date") -> datetime.date:
    """A strict ``YYYY-MM-DD`` day, with an error naming the bad value (``20240101`` is refused).

    Example:
        >>> parse_day("2024-01-01", "cutoff")
        datetime.date(2024, 1, 1)
        >>> parse_day("20240101", "cutoff")
        Traceback (most recent call last):
        ...
        knowbench.errors.ConfigError: cutoff must be YYYY-MM-DD, got cutoff='20240101'
    """
    from knowbench.errors import ConfigError

    try:
        if not _DAY.match(str(text)):
            raise ValueError(text)
        return datetime.date.fromisoformat(str(text))
    except ValueError:
        raise ConfigError(f"{what} must be YYYY-MM-DD, got {what}={text!r}") from None


def statement_date(statement: Statement) -> WikidataTime | None:
    """The date a statement begins to hold: its start time (P580), else its point in time (P585)."""
    return statement.start or statement.point_in_time


def truthy(statements: Iterable[Statement]) -> list[Statement]:
    """Statements that count: every rank but ``deprecated``."""
    return [s for s in statements if s.rank != "deprecated"]


def begun(statement: Statement, day: datetime.date) -> bool:
    """Whether the statement holds from ``day`` on or earlier (undated statements always have)."""
    date = statement_date(statement)
    return date is None or date.start() <= day


def ended(statement: Statement, day: datetime.date) -> bool:
    """Whether the statement's end time (P582) is on or before ``day``."""
    return statement.end is not None and statement.end.start() <= day


def current_statements(statements: Sequence[Statement], at: datetime.date) -> list[Statement]:
    """The statements in force at ``at`` that answer (best rank; rules in the module docstring), latest first.

    Example:
        >>> from knowbench.datasets_src.evowiki.types import Statement, WikidataTime
        >>> none = Statement("Q7747", "P102", "novalue", "wikibase-item", "preferred",
        ...                  WikidataTime("+2012-00-00T00:00:00Z", 9), None, None, "a")
        >>> party = Statement("Q7747", "P102", "Q151469", "wikibase-item", "normal", None, None, None, "b")
        >>> [s.value for s in current_statements([none, party], datetime.date(2024, 1, 1))]
        ['novalue']
        >>> [s.value for s in current_statements([none, party], datetime.date(2010, 1, 1))]
        ['Q151469']
    """
    pool = [s for s in truthy(statements) if begun(s, at) and not ended(s, at)]
    if not pool:
        return []
    preferred = [s for s in pool if s.rank == "preferred"]
    pool = preferred or pool
    if all(s.value_type == "quantity" for s in pool if s.value not in SPECIAL_VALUES):
        dated = [s for s in pool if statement_date(s) is not None]
        if dated:  # a series of measurements: only the latest counts
            latest = max(statement_date(s).start() for s in dated)  # type: ignore[union-attr]
            pool = [s for s in dated if statement_date(s).start() == latest]  # type: ignore[union-attr]
    if pool[0].property in ONE_AT_A_TIME and len({s.value for s in pool}) > 1:
        starts = [statement_date(s).start() for s in pool if statement_date(s) is not None]  # type: ignore[union-attr]
        if starts:
            pool = [s for s in pool if statement_date(s) is not None
                    and statement_date(s).start() == max(starts)]  # type: ignore[union-attr]
    if any(s.value not in SPECIAL_VALUES for s in pool):
        pool = [s for s in pool if s.value != NOVALUE]

    def order(s: Statement) -> tuple[int, datetime.date]:
        date = statement_date(s)
        return (1, date.start()) if date else (0, datetime.date.min)

    return sorted(pool, key=order, reverse=True)


def answer_values(statements: Sequence[Statement], at: datetime.date) -> tuple[str, ...]:
    """The distinct values in force at ``at`` (latest first)."""
    return tuple(dict.fromkeys(s.value for s in current_statements(statements, at)))


@dataclass(frozen=True)
class Change:
    """One difference between two snapshots of a fact (``kind`` in :data:`CHANGE_KINDS`)."""

    subject: str
    property: str
    kind: str
    value: str
    value_type: str


@dataclass(frozen=True)
class FactState:
    """The state of one (subject, property) pair and its answer sets at the cut-off and now."""

    subject: str
    property: str
    state: str
    statements: tuple[Statement, ...]
    cutoff_values: tuple[str, ...]
    current_values: tuple[str, ...]
    changes: tuple[Change, ...] = ()
    snapshot: datetime.date | None = None


def judge_fact(
    subject: str,
    prop: str,
    then: Sequence[Statement] | None,
    now: Sequence[Statement],
    cutoff: datetime.date,
    now_day: datetime.date,
    new_subject: bool = False,
    changes: tuple[Change, ...] = (),
) -> FactState:
    """State of one fact: ``then`` are the statements that tell what held at ``cutoff`` (the same as ``now`` with
    one snapshot, the older snapshot's with two; ``None`` = the fact was not there), ``now`` those of the snapshot
    of ``now_day``; ``new_subject``: the subject did not exist at the cut-off."""
    current = answer_values(now, now_day)
    known = [s for s in truthy(then or ()) if begun(s, cutoff)]
    if new_subject or not known:
        state, at_cutoff = "uncharted", ()
    else:
        at_cutoff = answer_values(known, cutoff)
        state = "stable" if set(at_cutoff) == set(current) else "evolved"
    return FactState(subject, prop, state, tuple(truthy(now)), at_cutoff, current, changes, now_day)


def group_by_property(statements: Iterable[Statement]) -> dict[str, list[Statement]]:
    groups: dict[str, list[Statement]] = {}
    for s in statements:
        groups.setdefault(s.property, []).append(s)
    return groups


def snapshot_day(entity: Entity) -> datetime.date | None:
    """The day of an entity's document (its ``modified`` time), ``None`` when the document has none."""
    return datetime.date.fromisoformat(entity.modified[:10]) if entity.modified else None


def begins_after(entity: Entity, cutoff: datetime.date) -> bool:
    """Whether the entity was born / founded after ``cutoff`` (then it did not exist at the cut-off)."""
    for s in truthy(entity.statements):
        if s.property in BEGINNING and s.value_type == "time" and s.value not in SPECIAL_VALUES:
            try:
                if WikidataTime(s.value, 11).start() > cutoff:
                    return True
            except ValueError:
                continue
    return False


def cutoff_facts(entity: Entity, cutoff: datetime.date, properties: Iterable[str] | None = None) -> list[FactState]:
    """States of every fact of one snapshot entity relative to ``cutoff`` (its snapshot day is "now").

    Raises ``ValueError`` for an entity without a ``modified`` day (the builder skips and counts those first).
    """
    day = snapshot_day(entity)
    if day is None:
        raise ValueError(f"entity {entity.id} has no modified date")
    wanted = set(properties) if properties is not None else None
    new = begins_after(entity, cutoff)
    return [
        judge_fact(entity.id, prop, group, group, cutoff, day, new)
        for prop, group in group_by_property(entity.statements).items()
        if (wanted is None or prop in wanted) and truthy(group)
    ]


def _intervals(statements: Iterable[Statement], value: str) -> set[tuple[str | None, str | None, str | None]]:
    return {
        (s.start.iso() if s.start else None, s.end.iso() if s.end else None,
         s.point_in_time.iso() if s.point_in_time else None)
        for s in statements
        if s.value == value
    }


def diff_statements(subject: str, prop: str, old: Sequence[Statement], new: Sequence[Statement]) -> list[Change]:
    """Every change of one fact's non-deprecated statements between an old and a new snapshot."""
    old_pool, new_pool = truthy(old), truthy(new)
    old_values = list(dict.fromkeys(s.value for s in old_pool))
    new_values = list(dict.fromkeys(s.value for s in new_pool))
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
    old: Entity | None, new: Entity, cutoff: datetime.date | None = None, properties: Iterable[str] | None = None
) -> tuple[list[FactState], list[Change]]:
    """States of every fact of ``new`` against the older snapshot ``old`` and every change between them.

    ``cutoff`` defaults to the old snapshot's day. ``old=None`` (the older snapshot lacks the subject): the states
    come from ``new``'s time qualifiers. Pairs without a value left in ``new`` get no state (they are *removed*).
    """
    day = snapshot_day(new)
    if day is None:
        raise ValueError(f"entity {new.id} has no modified date")
    if cutoff is None:
        cutoff = (snapshot_day(old) if old is not None else None) or day
    if old is None:
        return cutoff_facts(new, cutoff, properties), []
    wanted = set(properties) if properties is not None else None
    old_by, new_by = group_by_property(old.statements), group_by_property(new.statements)
    facts: list[FactState] = []
    changes: list[Change] = []
    new_subject = begins_after(new, cutoff)
    for prop in dict.fromkeys([*new_by, *old_by]):
        if wanted is not None and prop not in wanted:
            continue
        before, after = truthy(old_by.get(prop, ())), truthy(new_by.get(prop, ()))
        fact_changes = diff_statements(new.id, prop, before, after)
        changes.extend(fact_changes)
        if after:
            facts.append(judge_fact(new.id, prop, before or None, after, cutoff, day, new_subject,
                                    tuple(fact_changes)))
    return facts, changes


def combine_states(states: Iterable[str]) -> str:
    """The state of a multi-hop chain from its hops' states, as the EvoWiki paper composes them (arXiv:2412.13582,
    section 3): uncharted if any hop is uncharted, else evolved if any hop evolved, else stable.

    Example:
        >>> combine_states(["stable", "evolved"]), combine_states(["evolved", "uncharted"])
        ('evolved', 'uncharted')
    """
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


@dataclass
class Snapshot:
    """The entities of one Wikidata snapshot (the newest document per id) and the labels of what they point to.

    ``duplicates`` counts the older documents of an entity that the newest replaced.

    Example:
        >>> fact = Statement("Q1", "P31", "Q5", "wikibase-item", "normal", None, None, None, "Q1$a")
        >>> old = Entity("Q1", "one", None, (), 2, None, "2023-01-01T00:00:00Z", (fact,))
        >>> snap = Snapshot.from_entities([Entity("Q1", "one", None, (), 2, None, "2024-01-01T00:00:00Z", (fact,)), old])
        >>> snap.date, snap.label("Q1"), [e.id for e in snap.subjects()], snap.duplicates
        (datetime.date(2024, 1, 1), 'one', ['Q1'], 1)
    """

    entities: dict[str, Entity]
    labels: object  # a LabelStore (``get``/``aliases``)
    duplicates: int = 0

    @classmethod
    def from_entities(cls, entities: Iterable[Entity], labels: object | None = None) -> Snapshot:
        from knowbench.datasets_src.evowiki.labels import LabelStore

        store = labels if labels is not None else LabelStore()
        chosen: dict[str, Entity] = {}
        duplicates = 0
        for entity in entities:
            if entity.label is not None:
                store.add(entity.id, entity.label, entity.aliases)  # type: ignore[attr-defined]
            held = chosen.get(entity.id)
            if held is not None:
                duplicates += 1
            if held is None or (entity.modified or "") >= (held.modified or ""):
                chosen[entity.id] = entity
        for entity in chosen.values():  # the newest document of an entity names it
            if entity.label is not None:
                store.add(entity.id, entity.label, entity.aliases)  # type: ignore[attr-defined]
        return cls(chosen, store, duplicates)

    @classmethod
    def read(cls, paths: Sequence[object], language: str = "en", labels: object | None = None) -> Snapshot:
        from knowbench.datasets_src.evowiki.wikidata import iter_entities

        return cls.from_entities(iter_entities(list(paths), language=language, special_values=True), labels)

    def label(self, entity_id: str) -> str | None:
        return self.labels.get(entity_id)  # type: ignore[attr-defined]

    def aliases(self, entity_id: str) -> tuple[str, ...]:
        return tuple(self.labels.aliases(entity_id))  # type: ignore[attr-defined]

    def subjects(self) -> list[Entity]:
        """Items with statements, in id order (properties and labels-only documents are not subjects)."""
        return [e for _, e in sorted(self.entities.items()) if e.id.startswith("Q") and e.statements]

    @property
    def dates(self) -> list[datetime.date]:
        return sorted(d for e in self.subjects() if (d := snapshot_day(e)) is not None)

    @property
    def date(self) -> datetime.date | None:
        """The snapshot's date: the newest ``modified`` day among its subjects."""
        dates = self.dates
        return dates[-1] if dates else None
