"""``knowbench check evowiki``: recount, from the rows of a built folder alone, the defects EvoWiki rows must not have.

The report holds rows per state and hop count, the number of distinct final facts (entity, property of the last
hop), and one count per defect class, each recomputed from the row fields (not from the builder's own counts):

* ``answer_is_path_label``: an answer (label of a value in force) equals the label of an entity on the path;
* ``alias_is_path_label``: an accepted alias equals the label of an entity on the path;
* ``answer_in_question``: the answer's label is written in the question text (whole words);
* ``entity_twice``: an entity appears twice on the path, or an answer is an entity of the path;
* ``round_trip``: a hop takes the inverse of the previous hop's property ("the mother of the child of X");
* ``reducible_chain``: a row whose final property and answer set equal those of a row of the same subject with
  fewer hops;
* ``duplicate_question``: rows whose question text another row already has;
* ``evolved_unchanged``: evolved rows whose answer set at the cut-off equals the latest one;
* ``stable_changed``: stable rows whose answer set at the cut-off differs from the latest one;
* ``state_not_from_hops``: the row's state is not the one its hop states give (arXiv:2412.13582);
* ``judged_before_cutoff``: a hop judged from a snapshot older than the cut-off (or of unknown date).

It also lists what the build dropped, per reason, from the folder's ``provenance.json``.

Example:
    >>> from knowbench.training.evowiki.check import check_evowiki  # doctest: +SKIP
    >>> report = check_evowiki("out/evowiki")  # doctest: +SKIP
    >>> report["defects_total"]  # doctest: +SKIP
    0
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from knowbench.builders.evowiki.facts import SPECIAL_VALUES, combine_states
from knowbench.builders.evowiki.questions import contains_words
from knowbench.builders.evowiki.templates import round_trip
from knowbench.io import read_json
from knowbench.loaders.evowiki import STATES, EvoWikiRow, load_rows

DEFECTS = (
    "answer_is_path_label", "alias_is_path_label", "answer_in_question", "entity_twice", "round_trip", "reducible_chain",
    "duplicate_question",
    "evolved_unchanged", "stable_changed", "state_not_from_hops", "judged_before_cutoff",
)
_EXAMPLES = 5


def _fold(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


def row_defects(rows: Sequence[EvoWikiRow]) -> dict[str, list[str]]:
    """The ids of the rows in each defect class (module docstring), in row order.

    Example:
        >>> row_defects([])["duplicate_question"]
        []
    """
    found: dict[str, list[str]] = {name: [] for name in DEFECTS}
    texts: Counter[str] = Counter()
    shorter: dict[tuple[str, str, frozenset[str]], int] = {}
    for row in rows:
        key = (row.subject_id, row.property, frozenset(row.answer_ids))
        shorter[key] = min(shorter.get(key, row.hops), row.hops)
    for row in rows:
        path = {_fold(label) for label in row.path_labels}
        current = {_fold(a.label) for a in row.all_answers if a.current and a.label and a.value in row.answer_ids}
        if _fold(row.answer) in path or current & path:
            found["answer_is_path_label"].append(row.id)
        if {_fold(a) for a in row.answer_aliases} & path:
            found["alias_is_path_label"].append(row.id)
        if any(contains_words(row.question, a.label) for a in row.all_answers
               if a.current and a.label and a.label != "none" and a.value in row.answer_ids):
            found["answer_in_question"].append(row.id)
        entities = [*row.path_entities, *(v for v in row.answer_ids if v not in SPECIAL_VALUES)]
        if len(set(entities)) < len(entities):
            found["entity_twice"].append(row.id)
        if round_trip(row.path_properties):
            found["round_trip"].append(row.id)
        if shorter[(row.subject_id, row.property, frozenset(row.answer_ids))] < row.hops:
            found["reducible_chain"].append(row.id)
        texts[row.question] += 1
        if texts[row.question] > 1:
            found["duplicate_question"].append(row.id)
        same = set(row.cutoff_answer_ids) == set(row.answer_ids)
        if row.state == "evolved" and same:
            found["evolved_unchanged"].append(row.id)
        if row.state == "stable" and not same:
            found["stable_changed"].append(row.id)
        if row.state != combine_states(row.hop_states):
            found["state_not_from_hops"].append(row.id)
        if len(row.snapshot_dates) != row.hops or any(d is None or d < row.cutoff for d in row.snapshot_dates):
            found["judged_before_cutoff"].append(row.id)
    return found


def _provenance(data: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(data) / "provenance.json"
    return read_json(path, what="a provenance object") if path.is_file() else {}


def check_evowiki(data: str | os.PathLike[str]) -> dict[str, Any]:
    """The check report of a built EvoWiki folder (or Hub repo id; then without the build's drop counts)."""
    rows = load_rows(data)
    per: Counter[tuple[str, int]] = Counter((r.state, r.hops) for r in rows)
    hops = sorted({h for _, h in per}) or [1]
    defects = row_defects(rows)
    by_subject: defaultdict[str, int] = defaultdict(int)
    for row in rows:
        by_subject[row.subject_id] += 1
    statistics = _provenance(data).get("statistics") or {}
    return {
        "data": str(data),
        "rows": len(rows),
        "rows_by_state_hops": {s: {str(h): per.get((s, h), 0) for h in hops} for s in STATES},
        "distinct_final_facts": len({(r.path_entities[-1], r.property) for r in rows}),
        "subjects": len(by_subject),
        "defects": {name: len(ids) for name, ids in defects.items()},
        "defects_total": sum(len(ids) for ids in defects.values()),
        "defect_examples": {name: ids[:_EXAMPLES] for name, ids in defects.items() if ids},
        "dropped_chains": statistics.get("dropped_chains", {}),
        "skipped_facts": statistics.get("skipped", {}),
        "warnings": statistics.get("warnings", []),
    }
