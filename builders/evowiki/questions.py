"""EvoWiki questions: templates per Wikidata property, single-hop questions and 2-3 hop chains.

Templates were written for this project. Each property has a question (``{s}`` = the subject) and, when its
value is one well-defined entity, a noun phrase that lets a chain ask about it ("the spouse of {s}"): a
multi-hop question nests the phrases, e.g. P27 then P6 gives "Who is the head of government of the country of
citizenship of Alina Kabaeva?". A hop can only be a bridge when its fact has exactly one value in force now (the
phrase would be ambiguous otherwise), that value has not ended (no former spouse), and it is an entity of the
snapshot with a label.

Example:
    >>> TEMPLATES["P6"].ask("France")
    'Who is the head of government of France?'
    >>> TEMPLATES["P6"].ask(TEMPLATES["P27"].phrase_of("Alina Kabaeva"))
    'Who is the head of government of the country of citizenship of Alina Kabaeva?'
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from knowbench.builders.evowiki.facts import FactState, Snapshot, combine_states, statement_date


@dataclass(frozen=True)
class Template:
    """How to ask for one property (``question``) and how to refer to its value inside a chain (``phrase``)."""

    property: str
    label: str
    question: str
    phrase: str | None = None
    value_kind: str = "item"  # "item" (answer is an entity) or "quantity" (answer is a number)

    def ask(self, subject: str) -> str:
        return self.question.format(s=subject)

    def phrase_of(self, subject: str) -> str:
        if self.phrase is None:
            raise ValueError(f"{self.property} cannot be a bridge in a chain")
        return self.phrase.format(s=subject)


_T = Template
TEMPLATES: dict[str, Template] = {
    t.property: t
    for t in [
        _T("P39", "position held", "Which position does {s} hold?"),
        _T("P6", "head of government", "Who is the head of government of {s}?", "the head of government of {s}"),
        _T("P35", "head of state", "Who is the head of state of {s}?", "the head of state of {s}"),
        _T("P108", "employer", "Which organisation does {s} work for?", "the employer of {s}"),
        _T("P54", "member of sports team", "Which sports team does {s} play for?", "the sports team of {s}"),
        _T("P26", "spouse", "Who is {s} married to?", "the spouse of {s}"),
        _T("P551", "residence", "Where does {s} live?", "the place of residence of {s}"),
        _T("P1082", "population", "What is the population of {s}?", None, "quantity"),
        _T("P69", "educated at", "Where was {s} educated?", "the school where {s} studied"),
        _T("P102", "member of political party", "Which political party is {s} a member of?",
           "the political party of {s}"),
        _T("P27", "country of citizenship", "Which country is {s} a citizen of?", "the country of citizenship of {s}"),
        _T("P17", "country", "In which country is {s}?", "the country of {s}"),
        _T("P131", "located in the administrative territorial entity", "In which administrative area is {s}?",
           "the administrative area containing {s}"),
        _T("P36", "capital", "What is the capital of {s}?", "the capital of {s}"),
        _T("P19", "place of birth", "Where was {s} born?", "the birthplace of {s}"),
        _T("P20", "place of death", "Where did {s} die?", "the place where {s} died"),
        _T("P22", "father", "Who is the father of {s}?", "the father of {s}"),
        _T("P25", "mother", "Who is the mother of {s}?", "the mother of {s}"),
        _T("P40", "child", "Who is a child of {s}?", "the child of {s}"),
        _T("P3373", "sibling", "Who is a sibling of {s}?", "the sibling of {s}"),
        _T("P1038", "relative", "Who is a relative of {s}?", "the relative of {s}"),
        _T("P106", "occupation", "What is the occupation of {s}?"),
        _T("P166", "award received", "Which award has {s} received?"),
        _T("P463", "member of", "Which organisation is {s} a member of?", "the organisation {s} belongs to"),
        _T("P3602", "candidacy in election", "In which election was {s} a candidate?"),
        _T("P1344", "participant in", "Which event did {s} take part in?"),
        _T("P1595", "charge", "What has {s} been charged with?"),
        _T("P1050", "medical condition", "Which medical condition does {s} have?"),
        _T("P488", "chairperson", "Who chairs {s}?", "the chairperson of {s}"),
        _T("P169", "chief executive officer", "Who is the chief executive officer of {s}?", "the chief executive of {s}"),
        _T("P159", "headquarters location", "Where is {s} headquartered?", "the headquarters city of {s}"),
        _T("P286", "head coach", "Who coaches {s}?", "the head coach of {s}"),
        _T("P1037", "director / manager", "Who directs {s}?", "the director of {s}"),
        _T("P112", "founded by", "Who founded {s}?", "the founder of {s}"),
        _T("P37", "official language", "What is an official language of {s}?"),
        _T("P38", "currency", "What is the currency of {s}?", "the currency of {s}"),
        _T("P30", "continent", "On which continent is {s}?", "the continent of {s}"),
        _T("P361", "part of", "What is {s} part of?", "the whole that {s} is part of"),
        _T("P150", "contains the administrative territorial entity", "Which administrative area lies within {s}?"),
        _T("P47", "shares border with", "Which place shares a border with {s}?"),
        _T("P190", "twinned administrative body", "Which place is twinned with {s}?"),
        _T("P937", "work location", "Where does {s} work?", "the work location of {s}"),
        _T("P800", "notable work", "What is a notable work of {s}?"),
        _T("P136", "genre", "Which genre is {s} associated with?"),
        _T("P264", "record label", "Which record label is {s} signed to?", "the record label of {s}"),
        _T("P527", "has part", "Who or what is part of {s}?"),
        _T("P1412", "languages spoken, written or signed", "Which language does {s} speak?"),
        _T("P140", "religion or worldview", "What is the religion of {s}?", "the religion of {s}"),
        _T("P172", "ethnic group", "Which ethnic group does {s} belong to?"),
        _T("P1366", "replaced by", "What replaced {s}?", "the successor of {s}"),
        _T("P1365", "replaces", "What did {s} replace?", "the predecessor of {s}"),
    ]
}


@dataclass(frozen=True)
class Hop:
    """One step of a chain: the entity asked about, the property, and that fact's state and values."""

    entity: str
    fact: FactState


@dataclass
class QuestionStats:
    """What question generation skipped, for the card (nothing is dropped silently)."""

    unlabelled_values: int = 0  # (subject, property, value) facts whose value has no label
    unlabelled_answers: int = 0  # facts with no question because no value in force has a label
    unlabelled_subjects: int = 0  # subjects without a label (no question can name them)
    unsupported_facts: int = 0  # facts of properties without a template
    capped_chains: int = 0  # chains left out by max_chains_per_subject
    removed_facts: int = 0  # (two snapshots) pairs whose values were all removed
    ended_facts: int = 0  # facts whose every value has an end time (nothing holds now): no question
    by_property: dict[str, int] = field(default_factory=dict)


def _display(snapshot: Snapshot, value: str, value_type: str) -> tuple[str | None, tuple[str, ...]]:
    if value_type.startswith("wikibase-"):
        return snapshot.label(value), snapshot.aliases(value)
    if value_type == "quantity":
        number = value[:-2] if value.endswith(".0") else value
        try:
            grouped = f"{int(number):,}"
        except ValueError:
            grouped = number
        return number, tuple(a for a in {grouped} if a != number)
    return value, ()


def all_answers(snapshot: Snapshot, fact: FactState) -> list[dict[str, Any]]:
    """Every value the fact has had, with its interval and whether it is in force now."""
    current = set(fact.current_values)
    rows = []
    for s in fact.statements:
        label, aliases = _display(snapshot, s.value, s.value_type)
        rows.append(
            {
                "value": s.value,
                "label": label,
                "aliases": list(aliases),
                "start": s.start.iso() if s.start else None,
                "end": s.end.iso() if s.end else None,
                "point_in_time": s.point_in_time.iso() if s.point_in_time else None,
                "rank": s.rank,
                "current": s.value in current,
            }
        )
    rows.sort(key=lambda r: (r["start"] or r["point_in_time"] or "", r["value"]))
    return rows


def question_id(hops: list[Hop]) -> str:
    key = "|".join(f"{h.entity}>{h.fact.property}" for h in hops)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _bridge(snapshot: Snapshot, facts: dict[str, dict[str, FactState]], fact: FactState) -> str | None:
    template = TEMPLATES.get(fact.property)
    if template is None or template.phrase is None or len(fact.current_values) != 1:
        return None
    value = fact.current_values[0]
    if all(s.end is not None for s in fact.statements if s.value == value):
        return None  # a value that ended (a former spouse) is no bridge
    if value not in facts or snapshot.label(value) is None:
        return None
    return value


def _chains(
    snapshot: Snapshot, facts: dict[str, dict[str, FactState]], subject: str, max_hops: int
) -> Iterator[list[Hop]]:
    """Every chain of 1..max_hops facts from ``subject`` (bridges as in the module docstring), no entity twice."""

    def walk(entity: str, path: list[Hop], seen: set[str]) -> Iterator[list[Hop]]:
        for prop, fact in facts.get(entity, {}).items():
            if prop not in TEMPLATES:
                continue
            chain = [*path, Hop(entity, fact)]
            if any(v in seen for v in fact.current_values):
                continue  # the answer would be an entity already named in the chain
            yield chain
            if len(chain) < max_hops:
                nxt = _bridge(snapshot, facts, fact)
                if nxt is not None and nxt not in seen:
                    yield from walk(nxt, chain, seen | {nxt})

    yield from walk(subject, [], {subject})


def make_questions(
    snapshot: Snapshot,
    facts: dict[str, dict[str, FactState]],
    cutoff: str,
    max_hops: int = 3,
    max_chains_per_subject: int = 20,
    stats: QuestionStats | None = None,
) -> Iterator[dict[str, Any]]:
    """Question rows (without retrieval fields) for every subject of ``facts`` (subject -> property -> fact)."""
    stats = stats if stats is not None else QuestionStats()
    for subject, by_prop in sorted(facts.items()):
        for fact in by_prop.values():
            if fact.property not in TEMPLATES:
                stats.unsupported_facts += 1
                continue
            stats.unlabelled_values += sum(
                1 for v in dict.fromkeys(s.value for s in fact.statements)
                if _display(snapshot, v, fact.statements[0].value_type)[0] is None
            )
        name = snapshot.label(subject)
        if name is None:
            stats.unlabelled_subjects += 1
            continue
        per_hops: dict[int, int] = {}
        for chain in _chains(snapshot, facts, subject, max_hops):
            row = _row(snapshot, chain, name, cutoff, stats)
            if row is None:
                continue
            hops = len(chain)
            if hops > 1 and per_hops.get(hops, 0) >= max_chains_per_subject:
                stats.capped_chains += 1
                continue
            per_hops[hops] = per_hops.get(hops, 0) + 1
            stats.by_property[row["property"]] = stats.by_property.get(row["property"], 0) + 1
            yield row


def _row(snapshot: Snapshot, chain: list[Hop], name: str, cutoff: str, stats: QuestionStats) -> dict[str, Any] | None:
    last = chain[-1].fact
    if all(s.end is not None for s in last.statements if s.value in last.current_values):
        if len(chain) == 1:
            stats.ended_facts += 1
        return None  # every value has ended (a former spouse, a past office): nothing holds now
    value_type = last.statements[0].value_type
    answers = [(v, *_display(snapshot, v, value_type)) for v in last.current_values]
    labelled = [(v, label, aliases) for v, label, aliases in answers if label is not None]
    if not labelled:
        if len(chain) == 1:
            stats.unlabelled_answers += 1
        return None
    subject_text = name
    for hop in chain[:-1]:
        subject_text = TEMPLATES[hop.fact.property].phrase_of(subject_text)
    question = TEMPLATES[last.property].ask(subject_text)
    answer_value, answer_label, _ = labelled[0]
    accepted = list(dict.fromkeys(x for _, label, aliases in labelled for x in (label, *aliases)))
    cutoff_labels = [
        label for v in last.cutoff_values if (label := _display(snapshot, v, value_type)[0]) is not None
    ]
    subject = snapshot.entities[chain[0].entity]
    latest = next(s for s in last.statements if s.value == answer_value)
    since = statement_date(latest)
    return {
        "id": question_id(chain),
        "question": question,
        "answer": answer_label,
        "answer_id": answer_value,
        "answer_aliases": accepted,
        "answer_since": since.iso() if since else None,
        "all_answers": all_answers(snapshot, last),
        "cutoff_answers": cutoff_labels,
        "state": combine_states(h.fact.state for h in chain),
        "hop_states": [h.fact.state for h in chain],
        "hops": len(chain),
        "subject_id": subject.id,
        "subject_label": name,
        "property": last.property,
        "property_label": TEMPLATES[last.property].label,
        "path_entities": [h.entity for h in chain],
        "path_properties": [h.fact.property for h in chain],
        "popularity": subject.sitelinks,
        "cutoff": cutoff,
        "changes": [f"{c.kind}:{c.value}" for c in last.changes],
    }
