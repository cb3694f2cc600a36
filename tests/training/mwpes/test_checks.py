"""Each per-step check and each error type, on small solutions built by the type's definition, then on the real files.

The small cases take a real GSM8K reference (the first test problem, Janet's ducks) and change one thing the way the
error type describes; the real-file tests compare with the human / EIC labels.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowbench.training.mwpes.checks import ERROR_TYPES, diagnose

QUESTION = ("Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her "
            "friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck "
            "egg. How much in dollars does she make every day at the farmers' market?")
REFERENCE = "She eats 3 + 4 = 7 eggs every day.\nShe has 16 - 7 = 9 eggs left.\nShe makes 9 * 2 = $18 every day.\n#### 18"


def _check(solution: str, reference: str = REFERENCE, question: str = QUESTION, gold: str = "18"):
    return diagnose(question, solution, reference, gold)


@pytest.mark.parametrize(("solution", "step", "kind"), [
    # the arithmetic of a stated equation is wrong
    ("She eats 3 + 4 = 7 eggs every day.\nShe has 16 - 7 = 8 eggs left.\nShe makes 8 * 2 = $16 every day.\n#### 16",
     2, "calculation_error"),
    # one operator swapped, same quantities
    ("She eats 3 + 4 = 7 eggs every day.\nShe has 16 + 7 = 23 eggs left.\nShe makes 23 * 2 = $46 every day.\n#### 46",
     2, "operator_error"),
    # a question number copied wrong
    ("She eats 3 + 4 = 7 eggs every day.\nShe has 15 - 7 = 8 eggs left.\nShe makes 8 * 2 = $16 every day.\n#### 16",
     2, "referencing_context_value_error"),
    # an earlier step's value copied wrong
    ("She eats 3 + 4 = 7 eggs every day.\nShe has 16 - 7 = 9 eggs left.\nShe makes 8 * 2 = $16 every day.\n#### 16",
     3, "referencing_previous_step_value_error"),
    # a quantity the reference combines is left out
    ("She eats 3 eggs every day.\nShe has 16 - 3 = 13 eggs left.\nShe makes 13 * 2 = $26 every day.\n#### 26",
     2, "missing_step"),
    # a quantity the problem does not give is added
    ("She eats 3 + 4 = 7 eggs every day.\nShe also gives 5 eggs away, so she has 16 - 7 - 5 = 4 eggs left.\n"
     "She makes 4 * 2 = $8 every day.\n#### 8", 2, "adding_irrelevant_information"),
    # the same quantities combined by another formula
    ("She eats 3 * 4 = 12 eggs every day.\nShe has 16 - 12 = 4 eggs left.\nShe makes 4 * 2 = $8 every day.\n#### 8",
     1, "operator_error"),
    ("She eats 3 + 4 = 7 eggs every day.\nShe has 16 / 7 = 2.29 eggs left.\nShe makes 2.29 * 2 = $4.58 every day.\n"
     "#### 4.58", 2, "operator_error"),
    # every step right, but another number reported
    ("She eats 3 + 4 = 7 eggs every day.\nShe has 16 - 7 = 9 eggs left.\nShe makes 9 * 2 = $18 every day.\n#### 9",
     4, "answer_extraction"),
])
def test_each_check_names_the_step_and_type(solution: str, step: int, kind: str) -> None:
    diagnosis = _check(solution)
    assert (diagnosis.first_error_step, diagnosis.error_type) == (step, kind), diagnosis.evidence
    assert diagnosis.error_type in ERROR_TYPES and f"step {step}" in diagnosis.evidence


def test_unit_conversion_and_counting() -> None:
    question = "Greg drives for 30 minutes at 20 miles per hour. How many miles does he drive?"
    reference = "30 minutes is 30 / 60 = 0.5 hours.\nHe drives 0.5 * 20 = 10 miles.\n#### 10"
    unit = diagnose(question, "30 minutes is 30 / 100 = 0.3 hours.\nHe drives 0.3 * 20 = 6 miles.\n#### 6", reference,
                    "10")
    assert (unit.first_error_step, unit.error_type) == (1, "unit_conversion_error")
    question = "Jasmine swims 12 laps every afternoon, Monday through Friday. How many laps does she swim in a week?"
    reference = "She swims 5 days a week.\nShe swims 12 * 5 = 60 laps a week.\n#### 60"
    counting = diagnose(question, "She swims 4 days a week.\nShe swims 12 * 4 = 48 laps a week.\n#### 48", reference,
                        "60")
    assert (counting.first_error_step, counting.error_type) == (1, "counting_error")
    # the right count stated, then another one used: an earlier step's value copied wrong
    copied = diagnose(question, "She swims 5 days a week.\nShe swims 12 * 4 = 48 laps a week.\n#### 48", reference,
                      "60")
    assert (copied.first_error_step, copied.error_type) == (2, "referencing_previous_step_value_error")


def test_without_reference_and_truncated() -> None:
    no_reference = diagnose(QUESTION, "She eats 3 + 4 = 7 eggs.\nShe sells 16 - 7 = 9 eggs.\n#### 9", "", "18")
    assert no_reference.error_type == "no_reference" and no_reference.first_error_step == 3
    truncated = diagnose(QUESTION, "She eats 3 + 4 = 7 eggs every day.\nShe has 16 - 7 = 9 eggs", REFERENCE, "18")
    assert truncated.error_type == "truncated" and truncated.first_error_step == 2


def test_unknown_takes_the_gold_value() -> None:
    question = ("Janet had 22 green pens and 10 yellow pens. Then she bought x bags of blue pens with 9 pens each. "
                "She has 86 pens now. What is the value of unknown variable x?")
    solution = ("Step 1: She had 22 + 10 = 32 pens.\nStep 2: Now she has 32 + 9x pens.\nStep 3: So 32 + 9x = 86.\n"
                "Step 4: Solving, 9x = 86 - 32 = 45, so x = 5.\nStep 5: #### 5")
    diagnosis = diagnose(question, solution, "", "6")
    assert diagnosis.first_error_step == 4 and diagnosis.error_type == "calculation_error"


def test_program_of_thought_values_are_checked(shared_data: Path) -> None:
    question = ("Christina needs .75 gift bags per invited guest, because 1/4 of attendees don't show up. She invited 16 "
                "friends. Gift bags are $2 each. How much will she spend?")
    reference = "She needs 16 * 0.75 = 12 bags.\nShe spends 12 * 2 = $24.\n#### 24"
    code = ("Step 1: no_show = 1/4\nStep 2: guests = 16\nStep 3: bags = guests * 0.75\nStep 4: total = no_show + bags\n"
            "Step 5: cost = total * 2\nStep 6: print(cost)")
    diagnosis = diagnose(question, code, reference, "24")
    assert diagnosis.first_error_step == 4 and "12.25" in diagnosis.evidence


def test_agreement_with_people_on_the_real_files(shared_data: Path) -> None:
    """Floors well below the benchmark figures (bench/bench_error_analysis.py), so a regression is caught."""
    from knowbench.datasets_src.mwpes.formats import read_solutions

    mr = list(read_solutions("mr-gsm8k", shared_data / "mwp_solutions/mr_gsm8k_wrong_dev.jsonl"))
    found = [diagnose(r.question, r.solution, r.reference, r.gold_answer) for r in mr]
    exact = sum(d.first_error_step == r.label_dict["first_error_step"] for d, r in zip(found, mr, strict=True))
    assert exact / len(mr) >= 0.45 and sum(d.first_error_step is not None for d in found) / len(mr) >= 0.95
    for path in sorted((shared_data / "mwp_errors/eic_gsm8k").glob("*.jsonl")):
        records = list(read_solutions("eic", path))
        found = [diagnose(r.question, r.solution, r.reference, r.gold_answer) for r in records]
        step = sum(d.first_error_step == r.label_dict["first_error_step"] for d, r in zip(found, records, strict=True))
        typed = sum(d.error_type == path.stem for d in found)
        assert step / len(records) >= 0.6, path.stem
        assert typed / len(records) >= 0.35, path.stem  # chance is 1/9


def test_evidence_is_readable_json() -> None:
    diagnosis = _check("She eats 3 + 4 = 7 eggs every day.\nShe has 16 - 7 = 8 eggs left.\n#### 16")
    record = diagnosis.to_dict()
    assert json.loads(json.dumps(record)) == record
    assert record["step_text"] == "She has 16 - 7 = 8 eggs left." and 0 < record["confidence"] <= 1


def test_another_route_is_judged_by_its_true_arithmetic() -> None:
    """A value off the reference's path is a valid other route when a later step's right arithmetic takes it back
    onto the path (100% - 5% = 95%, then 140 * 0.95 = 133); the first error is the later step that miscomputes."""
    question = "A bag has a 5% discount. If it is marked $140, how much will you pay after the discount?"
    reference = "The discount is $140 x 5/100 = $7.\nYou pay $140 - $7 = $133.\n#### 133"
    solution = "You pay 100% - 5% = 95% of the price.\nThat is $140 * 0.95 = $134.\n#### 134"
    diagnosis = diagnose(question, solution, reference, "133")
    assert (diagnosis.first_error_step, diagnosis.error_type) == (2, "calculation_error"), diagnosis.evidence
    # the same route whose later step states a value on the path by wrong arithmetic does not count as valid
    wrong = "You pay 100% - 5% = 96% of the price.\nThat is $140 * 0.96 = $133.\n#### 133"
    assert diagnose(question, wrong, reference, "133").first_error_step == 1


def test_an_answer_the_reference_goes_on_from_is_a_stop_too_early() -> None:
    """Every step checks out, but the solution concludes with a value the reference computes on its way: the error
    is the step that concludes there, typed as a missing step."""
    solution = ("She eats 3 + 4 = 7 eggs every day.\nShe has 16 - 7 = 9 eggs left.\nSo she makes 9 dollars.\n#### 9")
    diagnosis = _check(solution)
    assert (diagnosis.first_error_step, diagnosis.error_type) == (3, "missing_step"), diagnosis.evidence


def test_a_wrong_answer_comes_from_the_step_that_first_computes_it() -> None:
    """Every step checks out (no step computes; each states numbers of the question), but the answer is wrong: the
    step that first states the reported answer is named."""
    question = "Regina wrote 9 novels last year. That is 3 quarters of the novels she wrote this year. How many now?"
    reference = "This year she wrote 9 / 3 * 4 = 12 novels.\n#### 12"
    solution = "She wrote 9 novels.\nNine novels are 3 quarters, so she wrote 3 novels.\n#### 3"
    diagnosis = diagnose(question, solution, reference, "12")
    assert diagnosis.first_error_step == 2 and "first comes from step 2" in diagnosis.evidence, diagnosis.evidence


def test_a_failure_after_a_skipped_reference_computation_is_a_missing_step() -> None:
    """The solution never computes the eggs she eats (3 + 4 = 7) and then fails where the reference combines that
    result: a missing step. A valid shortcut (16 - 3 - 4 = 9) followed by an unrelated slip is not one."""
    gap = _check("She has 16 - 3 - 4 = 9 eggs left.\nShe sells 16 - 7 = 8 eggs, so she makes 8 * 2 = $16.\n#### 16")
    assert gap.error_type == "missing_step" and "never computes" in gap.evidence, gap.evidence
    shortcut = _check("She has 16 - 3 - 4 = 9 eggs left.\nShe makes 9 * 3 = $27 every day.\n#### 27")
    assert shortcut.first_error_step == 2 and shortcut.error_type != "missing_step", shortcut.evidence


def test_a_count_of_named_days_and_a_step_that_computes_nothing() -> None:
    """Counting the days a question names (Saturday and Sunday: 2) as 1: the step ``540 x 1 = 540`` computes a number
    the reference only takes as given, so it is the first error, and the replaced 2 is a count (counting_error)."""
    question = "A car rents for $420 a day on weekdays and $540 a day on Saturday and Sunday. What is a week's rent?"
    reference = ("Monday to Friday costs $420 x 5 = $2100.\nSaturday and Sunday cost $540 x 2 = $1080.\n"
                 "The week costs $2100 + $1080 = $3180.\n#### 3180")
    solution = ("Monday to Friday costs $420 x 5 = $2100.\nSaturday and Sunday cost $540 x 1 = $540.\n"
                "The week costs $2100 + $540 = $2640.\n#### 2640")
    diagnosis = diagnose(question, solution, reference, "3180")
    assert (diagnosis.first_error_step, diagnosis.error_type) == (2, "counting_error"), diagnosis.evidence
    assert "never computes" in diagnosis.evidence


def test_a_new_fact_in_words_is_added_information_and_a_replaced_number_is_not() -> None:
    """A step that brings in a number the problem does not give, in its words and its equation, with another formula
    than the reference's: added information. The same new number in the reference's formula replaces one."""
    added = _check("She eats 3 + 4 = 7 eggs every day.\nShe has 16 - 7 = 9 eggs left.\n"
                   "She also finds 5 more eggs, so she has 9 + 5 = 14.\nShe makes 14 * 2 = $28.\n#### 28")
    assert (added.first_error_step, added.error_type) == (3, "adding_irrelevant_information"), added.evidence
    replaced = _check("She eats 3 + 5 = 8 eggs, as she eats 5 for breakfast.\nShe has 16 - 8 = 8 eggs left.\n"
                      "She makes 8 * 2 = $16.\n#### 16")
    assert replaced.first_error_step == 1 and replaced.error_type != "adding_irrelevant_information", replaced.evidence


def test_one_shape_formula_taken_for_another() -> None:
    """The area where the reference takes the perimeter of the same rectangle: the same quantities combined by
    another formula (confusing_formula_error), whether the step's arithmetic holds or not."""
    question = "A field is 100 m long and 50 m wide. A player runs 6 laps around it. How far does he run?"
    reference = "One lap is the perimeter: 2*100 + 2*50 = 300 m.\nSix laps are 6*300 = 1800 m.\n#### 1800"
    for solution in ("One lap is the area: 100*50 = 5000 m.\nSix laps are 6*5000 = 30000 m.\n#### 30000",
                     "One lap is the area: 100*50 = 500 m.\nSix laps are 6*500 = 3000 m.\n#### 3000"):
        diagnosis = diagnose(question, solution, reference, "1800")
        assert (diagnosis.first_error_step, diagnosis.error_type) == (1, "confusing_formula_error"), diagnosis.evidence


def test_a_conversion_constant_stated_wrong_is_a_unit_error_even_when_it_equals_an_earlier_result() -> None:
    question = "Shaping takes 15 minutes, baking 30 minutes and cooling 15 minutes. How many hours is that?"
    reference = "That is 15+30+15 = 60 minutes.\nThere are 60 minutes in an hour, so 60/60 = 1 hour.\n#### 1"
    solution = "That is 15+30+15 = 60 minutes.\nThere are 70 minutes in an hour, so 60/70 = 0.857 hours.\n#### 0.857"
    diagnosis = diagnose(question, solution, reference, "1")
    assert (diagnosis.first_error_step, diagnosis.error_type) == (2, "unit_conversion_error"), diagnosis.evidence
