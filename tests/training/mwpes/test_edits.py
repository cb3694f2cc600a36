"""A solution read as an edit of its reference (training/mwpes/edits.py) and what diagnose() makes of it."""

from __future__ import annotations

from pathlib import Path

from knowbench.training.mwpes.checks import diagnose
from knowbench.training.mwpes.edits import compare, number_change
from knowbench.training.mwpes.steps import split_steps

QUESTION = ("A shop sells 4 boxes of pens; each box has 12 pens. It gives away 8 pens and sells the rest for $2 each. "
            "How much does it earn?")
REFERENCE = ("The shop has 4 * 12 = 48 pens.\nAfter giving away 8 it has 48 - 8 = 40 pens.\n"
             "It earns 40 * 2 = $80.\n#### 80")


def test_a_dropped_reference_step_is_a_missing_step() -> None:
    solution = "The shop has 4 * 12 = 48 pens.\nIt earns 48 * 2 = $96.\n#### 96"
    diff = compare(solution, REFERENCE)
    assert diff.is_edit and diff.dropped == (2,) and diff.added == ()
    d = diagnose(QUESTION, solution, REFERENCE, "80")
    assert (d.first_error_step, d.error_type) == (2, "missing_step")
    assert "leaves out the reference's step 2" in d.evidence


def test_an_added_step_with_a_new_number_is_irrelevant_information() -> None:
    solution = ("The shop has 4 * 12 = 48 pens.\nBecause it also finds 5 more pens, it has 48 + 5 = 53 pens.\n"
                "After giving away 8 it has 53 - 8 = 45 pens.\nIt earns 45 * 2 = $90.\n#### 90")
    diff = compare(solution, REFERENCE)
    assert diff.is_edit and diff.added == (2,) and diff.dropped == () and diff.first_change == 2
    d = diagnose(QUESTION, solution, REFERENCE, "80")
    assert (d.first_error_step, d.error_type) == (2, "adding_irrelevant_information")


def test_the_error_is_at_the_first_changed_step_not_where_a_check_first_fails() -> None:
    # 4 * 10 = 40 holds, and 40 is a value of the reference's path, so only the edit shows that step 1 is wrong
    solution = "The shop has 4 * 10 = 40 pens.\nAfter giving away 8 it has 40 - 8 = 32 pens.\nIt earns 32 * 2 = $64.\n#### 64"
    assert compare(solution, REFERENCE).first_change == 1
    d = diagnose(QUESTION, solution, REFERENCE, "80")
    assert (d.first_error_step, d.error_type) == (1, "referencing_context_value_error")


def test_another_operator_miscomputed_as_well_is_an_operator_error() -> None:
    solution = "The shop has 4 + 12 = 17 pens.\nAfter giving away 8 it has 17 - 8 = 9 pens.\nIt earns 9 * 2 = $18.\n#### 18"
    d = diagnose(QUESTION, solution, REFERENCE, "80")
    assert (d.first_error_step, d.error_type) == (1, "operator_error")


def test_an_independent_solution_is_no_edit(shared_data: Path) -> None:
    from knowbench.datasets_src.mwpes.formats import read_solutions

    records = list(read_solutions("mr-gsm8k", shared_data / "mwp_solutions" / "mr_gsm8k_wrong_dev.jsonl"))
    edits = sum(compare(r.solution, r.reference).is_edit for r in records)
    assert edits / len(records) < 0.1  # models' own solutions, not rewrites of the reference
    eic = list(read_solutions("eic", shared_data / "mwp_errors" / "eic_gsm8k" / "calculation_error.jsonl"))
    assert sum(compare(r.solution, r.reference).is_edit for r in eic) / len(eic) > 0.9  # EIC plants one error


def test_number_change_reads_numbers_in_order() -> None:
    ref = split_steps("It earns 40 * 2 = $80.")[0]
    assert number_change(split_steps("It earns 40 * 2 = $80, and a $7 tip.")[0], ref) == \
        ("inserted", (7.0,), ())
    assert number_change(split_steps("It earns 40 = $80.")[0], ref) == ("deleted", (), (2.0,))
    assert number_change(ref, ref) is None
