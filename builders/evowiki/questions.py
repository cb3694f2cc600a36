"""EvoWiki questions: single-hop questions and 2-3 hop chains built from judged facts, under the chain rules.

A multi-hop question nests the template phrases ("Who is the head of government of the country of citizenship of
Alina Kabaeva?"). A hop is a *bridge* only when its fact has exactly one value in force now, that value is an
entity of the snapshot with a label and judged facts, and it is neither ``novalue`` nor ``somevalue``. A chain's
state comes from its hops' states (:func:`~knowbench.builders.evowiki.facts.combine_states`).

Rules, each with the reason a chain is dropped under (:data:`DROP_REASONS`; counted, never silent):

* no entity twice: the answer may not be an entity already on the path (``entity_twice``);
* no round trip: a hop may not take the inverse of the previous hop's property (``round_trip``: "the mother of
  the child of X" is X or X's partner; :data:`~knowbench.builders.evowiki.templates.INVERSE_PROPERTIES`);
* no reducible chain: a chain whose final property and answer set equal those of a chain of the same subject with
  as many or fewer hops is dropped (``reducible_chain``; e.g. "the father of the sibling of X" when "the father of
  X" has the same answer);
* no answer equal to a label on its own path (``answer_is_path_label``: "Who is the father of Vladimir Putin?" ->
  "Vladimir Putin"); an alias that is the label of an entity of the chain, or of any other entity of the inputs
  ("Vladimir Putin", an alias of Vladimir Putin Jr.), is not an accepted answer;
* no answer written in the question (``answer_in_question``: a description that names the answer, "Vladimir
  Putin (President of Russia ...)" asked for his position);
* question texts are unique: subjects that share a label are named with their description ("Vladimir Putin
  (president of Russia)"); when that does not tell them apart their questions are dropped (counted per subject);
* an evolved chain must change its answer: its answer set at the cut-off, found by following the hops' cut-off
  values, must differ from the latest one (``evolved_unchanged``; ``evolved_cutoff_unknown`` when a cut-off
  bridge is not one entity of the snapshot);
* a present-tense question about a time-bound property (an office, an employer, a spouse) needs every value in
  force dated or preferred (``undated_time_bound``; such a hop is no bridge either);
* special values: ``novalue`` answers "none" where the template reads well (``novalue_unreadable`` otherwise);
  ``somevalue`` is never an answer (``unknown_value`` when nothing else is in force).

Example:
    >>> sorted(DROP_REASONS)[:3]
    ['answer_in_question', 'answer_is_path_label', 'capped']
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from knowbench.builders.evowiki.facts import (
    NOVALUE,
    SOMEVALUE,
    SPECIAL_VALUES,
    FactState,
    Snapshot,
    combine_states,
    statement_date,
)
from knowbench.builders.evowiki.templates import TEMPLATES, round_trip

#: why a chain got no row (the card lists each with its count)
DROP_REASONS = {
    "nothing_in_force": "no value of the final fact is in force now (a former spouse, a past office)",
    "unknown_value": "the only value in force is somevalue (unknown)",
    "entity_twice": "the answer is an entity already on the chain",
    "round_trip": "a hop takes the inverse of the property before it (the mother of the child of X)",
    "reducible_chain": "a chain of the same subject with as many or fewer hops has the same final property and answer",
    "unlabelled_answer": "no value in force has a label in the inputs",
    "novalue_unreadable": "the answer is novalue and 'none' does not read well for this template",
    "undated_time_bound": "an office, employer, spouse or residence in force only by an undated normal statement",
    "answer_is_path_label": "an answer's label equals the label of an entity on the chain",
    "answer_in_question": "an answer's label is written in the question (e.g. in a subject's description)",
    "evolved_unchanged": "an evolved hop, but the chain's answer at the cut-off equals the latest one",
    "evolved_cutoff_unknown": "an evolved hop whose value at the cut-off is not one entity of the snapshot",
    "capped": "more chains of this subject and hop count than max_chains_per_subject",
}


@dataclass(frozen=True)
class Hop:
    """One step of a chain: the entity asked about and that entity's judged fact."""

    entity: str
    fact: FactState


@dataclass
class QuestionContext:
    """What question generation reads: the snapshot, the judged facts, and the name of each subject."""

    snapshot: Snapshot
    facts: dict[str, dict[str, FactState]]
    cutoff: str
    names: dict[str, str]  # subject id -> its name in questions ("the" where needed, disambiguated)
    max_hops: int = 3
    max_chains_per_subject: int = 20
    #: folded label -> the ids of the entities bearing it (an alias that is another entity's label is no answer)
    label_owners: dict[str, set[str]] | None = None


def display(snapshot: Snapshot, value: str, value_type: str) -> tuple[str | None, tuple[str, ...]]:
    """(label, aliases) of a value: entity labels, numbers as written (and with thousands separators), "none"."""
    if value == NOVALUE:
        return "none", ()
    if value == SOMEVALUE:
        return None, ()
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
        label, aliases = display(snapshot, s.value, s.value_type)
        rows.append({
            "value": s.value, "label": label, "aliases": list(aliases),
            "start": s.start.iso() if s.start else None, "end": s.end.iso() if s.end else None,
            "point_in_time": s.point_in_time.iso() if s.point_in_time else None, "rank": s.rank,
            "current": s.value in current,
        })
    rows.sort(key=lambda r: (r["start"] or r["point_in_time"] or "", r["value"]))
    return rows


def question_id(hops: list[Hop]) -> str:
    key = "|".join(f"{h.entity}>{h.fact.property}" for h in hops)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def undated_now(fact: FactState) -> bool:
    """Whether a value in force now rests only on undated normal-rank statements (see ``Template.time_bound``)."""
    current = set(fact.current_values) - SPECIAL_VALUES
    dated = {s.value for s in fact.statements if s.rank == "preferred" or statement_date(s) is not None}
    return bool(current - dated)


def _bridge(ctx: QuestionContext, fact: FactState) -> str | None:
    template = TEMPLATES.get(fact.property)
    if template is None or template.phrase is None or len(fact.current_values) != 1:
        return None
    if template.time_bound and undated_now(fact):
        return None
    value = fact.current_values[0]
    if value in SPECIAL_VALUES or value not in ctx.facts or ctx.snapshot.label(value) is None:
        return None
    return value


def _chains(ctx: QuestionContext, subject: str) -> list[list[Hop]]:
    """Every chain of 1..max_hops facts with templates from ``subject``, shortest first (bridges: module docstring)."""
    found: list[list[Hop]] = []

    def walk(entity: str, path: list[Hop], seen: set[str]) -> None:
        for prop, fact in ctx.facts.get(entity, {}).items():
            if prop not in TEMPLATES:
                continue
            chain = [*path, Hop(entity, fact)]
            found.append(chain)
            if len(chain) < ctx.max_hops:
                nxt = _bridge(ctx, fact)
                if nxt is not None and nxt not in seen:
                    walk(nxt, chain, seen | {nxt})

    walk(subject, [], {subject})
    return sorted(found, key=len)


def _cutoff_answers(ctx: QuestionContext, chain: list[Hop]) -> tuple[str, ...] | None:
    """The chain's answer set at the cut-off, following each hop's cut-off value (``None``: not one entity)."""
    entity = chain[0].entity
    for index, hop in enumerate(chain):
        fact = ctx.facts.get(entity, {}).get(hop.fact.property)
        if fact is None:
            return None
        if index == len(chain) - 1:
            return fact.cutoff_values
        if len(fact.cutoff_values) != 1 or fact.cutoff_values[0] in SPECIAL_VALUES:
            return None
        entity = fact.cutoff_values[0]
    return None


def _fold(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


def contains_words(text: str, words: str) -> bool:
    """Whether ``words`` occur in ``text`` as whole words (case-insensitive).

    Example:
        >>> contains_words("Which position does Vladimir Putin (President of Russia) hold?", "president of Russia")
        True
        >>> contains_words("Where was Parisa born?", "Paris")
        False
    """
    import re

    return re.search(rf"(?<!\w){re.escape(_fold(words))}(?!\w)", _fold(text)) is not None


def subject_rows(ctx: QuestionContext, subject: str, state: str | None, drops: Counter[str]) -> Iterator[dict[str, Any]]:
    """The question rows of one subject (only those of ``state`` unless ``None``); drops of that state counted."""
    name = ctx.names.get(subject)
    if name is None:
        return
    finals: set[tuple[str, frozenset[str]]] = set()
    per_hops: Counter[int] = Counter()
    for chain in _chains(ctx, subject):
        chain_state = combine_states(h.fact.state for h in chain)
        mine = state is None or chain_state == state
        row, reason = _row(ctx, chain, name, chain_state, finals)
        if row is not None and per_hops[len(chain)] >= ctx.max_chains_per_subject:
            row, reason = None, "capped"
        if row is None:
            if mine and reason is not None:
                drops[reason] += 1
            continue
        per_hops[len(chain)] += 1
        if mine:
            yield row


def _row(
    ctx: QuestionContext, chain: list[Hop], name: str, state: str, finals: set[tuple[str, frozenset[str]]]
) -> tuple[dict[str, Any] | None, str | None]:
    snapshot, last = ctx.snapshot, chain[-1].fact
    template = TEMPLATES[last.property]
    current = [v for v in last.current_values if v != SOMEVALUE]
    if not last.current_values:
        return None, "nothing_in_force"
    if not current:
        return None, "unknown_value"
    path = [h.entity for h in chain]
    if any(v in path for v in current):
        return None, "entity_twice"
    if round_trip([h.fact.property for h in chain]):
        return None, "round_trip"
    final = (last.property, frozenset(current))
    if final in finals:
        return None, "reducible_chain"
    finals.add(final)
    value_type = last.statements[0].value_type
    answers = [(v, *display(snapshot, v, value_type)) for v in current]
    labelled = [(v, label, aliases) for v, label, aliases in answers if label is not None]
    if not labelled:
        return None, "unlabelled_answer"
    if current == [NOVALUE] and not template.none_reads:
        return None, "novalue_unreadable"
    if template.time_bound and undated_now(last):
        return None, "undated_time_bound"
    path_labels = [snapshot.label(e) or "" for e in path]
    folded = {_fold(label) for label in path_labels}
    if any(_fold(label) in folded for _, label, _ in labelled):
        return None, "answer_is_path_label"
    cutoff_values = last.cutoff_values
    if state == "evolved":
        walked = _cutoff_answers(ctx, chain)
        if walked is None:
            return None, "evolved_cutoff_unknown"
        if set(walked) == set(last.current_values):
            return None, "evolved_unchanged"
        cutoff_values = walked
    elif state == "uncharted":
        cutoff_values = ()
    subject_text = name
    for hop in chain[:-1]:
        subject_text = TEMPLATES[hop.fact.property].phrase_of(subject_text)
    question = template.ask(subject_text)
    if any(contains_words(question, label) for _, label, _ in labelled if label != "none"):
        return None, "answer_in_question"
    answer_value, answer_label, _ = labelled[0]
    owners = ctx.label_owners or {}
    accepted = [label for _, label, _ in labelled] + [
        alias for value, _, aliases in labelled for alias in aliases
        if _fold(alias) not in folded and not owners.get(_fold(alias), set()) - {value}
    ]
    latest = next(s for s in last.statements if s.value == answer_value)
    since = statement_date(latest)
    subject = snapshot.entities[chain[0].entity]
    return {
        "id": question_id(chain),
        "question": question,
        "answer": answer_label,
        "answer_id": answer_value,
        "answer_ids": list(current),
        "answer_aliases": list(dict.fromkeys(accepted)),
        "answer_since": since.iso() if since else None,
        "all_answers": all_answers(snapshot, last),
        "cutoff_answers": [lab for v in cutoff_values if (lab := display(snapshot, v, value_type)[0]) is not None],
        "cutoff_answer_ids": list(cutoff_values),
        "state": state,
        "hop_states": [h.fact.state for h in chain],
        "hops": len(chain),
        "subject_id": subject.id,
        "subject_label": snapshot.label(subject.id),
        "property": last.property,
        "property_label": template.label,
        "path_entities": path,
        "path_labels": path_labels,
        "path_properties": [h.fact.property for h in chain],
        "snapshot_dates": [h.fact.snapshot.isoformat() if h.fact.snapshot else None for h in chain],
        "popularity": subject.sitelinks,
        "cutoff": ctx.cutoff,
        "changes": [f"{c.kind}:{c.value}" for c in last.changes],
    }, None
