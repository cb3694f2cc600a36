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


def _typed(expected: tuple[int, str], question: str, solution: str, reference: str, gold: str):
    """The diagnosis, asserted to name ``expected`` (first wrong step, error type); its evidence shows on failure."""
    diagnosis = diagnose(question, solution, reference, gold)
    assert (diagnosis.first_error_step, diagnosis.error_type) == expected, diagnosis.evidence
    return diagnosis


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
    # a quantity the reference combines is left out (where the solution, an edit of the reference, drops it)
    ("She eats 3 eggs every day.\nShe has 16 - 3 = 13 eggs left.\nShe makes 13 * 2 = $26 every day.\n#### 26",
     1, "missing_step"),
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
    _typed((2, "calculation_error"), question, solution, reference, "133")
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
    diagnosis = _typed((2, "counting_error"), question, solution, reference, "3180")
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
        _typed((1, "confusing_formula_error"), question, solution, reference, "1800")


def test_a_conversion_constant_stated_wrong_is_a_unit_error_even_when_it_equals_an_earlier_result() -> None:
    question = "Shaping takes 15 minutes, baking 30 minutes and cooling 15 minutes. How many hours is that?"
    reference = "That is 15+30+15 = 60 minutes.\nThere are 60 minutes in an hour, so 60/60 = 1 hour.\n#### 1"
    solution = "That is 15+30+15 = 60 minutes.\nThere are 70 minutes in an hour, so 60/70 = 0.857 hours.\n#### 0.857"
    _typed((2, "unit_conversion_error"), question, solution, reference, "1")


BOOKS = ("Dolly has x books. Pandora has one. If both Dolly and Pandora read each others' books as well as their own, "
         "they will collectively read six books by the end. What is the value of unknown variable x?")
BOOKS_REFERENCE = ("They read x + 1 + x + 1 = 2x + 2 books in total.\nSo 2x + 2 = 6.\nSubtracting 2, 2x = 4.\n"
                   "Dividing by 2, x = 2.\n#### 2")


def test_a_wrong_expression_in_the_unknown_is_wrong_where_it_is_set_up() -> None:
    # step 2 writes x + 2 (the reference has 2x + 2); only step 4 equates it and fails at the gold x = 2
    solution = ("Step 1: Dolly has x books and Pandora has one book.\nStep 2: They read a total of x + 1 + 1 = x + 2 "
                "books.\nStep 3: By the end, they read six books.\nStep 4: So, x + 2 = 6.\nStep 5: x = 6 - 2 = 4.\n"
                "Step 6: #### 4")
    diagnosis = _typed((2, "confusing_formula_error"), BOOKS, solution, BOOKS_REFERENCE, "2")
    assert "step 2 set up x+1+1" in diagnosis.evidence
    # the same wrong expression written first in the equation itself: the equation is the first wrong step
    direct = ("Step 1: Dolly has x books and Pandora has one book.\nStep 2: By the end, they read six books.\n"
              "Step 3: So, x + 1 + 1 = 6.\nStep 4: x = 4.\nStep 5: #### 4")
    assert diagnose(BOOKS, direct, BOOKS_REFERENCE, "2").first_error_step == 3
    # the expression is the reference's own: the equation's other side is wrong, so the equation is the error
    right_expression = ("Step 1: They read x + 1 + x + 1 = 2x + 2 books.\nStep 2: By the end, they read eight books.\n"
                        "Step 3: So, 2x + 2 = 8.\nStep 4: x = 3.\nStep 5: #### 3")
    assert diagnose(BOOKS, right_expression, BOOKS_REFERENCE, "2").first_error_step == 3


def test_an_unknown_equation_is_traced_through_a_rewritten_expression() -> None:
    # "(12 * x) / 6 = 2x" holds for every x, so step 2 passes its arithmetic; 2x is the same function, so the
    # failing "2x = 100" goes back to step 2 (the reference divides by the speed, 10)
    question = ("James runs 12 miles a day for x days a week. He runs 10 miles an hour. He runs for 6 hours a week. "
                "What is the value of unknown variable x?")
    reference = "He runs 12 * x miles a week.\nThat takes 12 * x / 10 hours.\nSo 12 * x / 10 = 6.\nx = 5.\n#### 5"
    solution = ("Step 1: He runs 12 * x miles a week.\nStep 2: Dividing by the 6 hours: (12 * x) / 6 = 2x.\n"
                "Step 3: We are given that 2x is 100 miles, so 2x = 100.\nStep 4: x = 100 / 2 = 50.\nStep 5: #### 50")
    assert diagnose(question, solution, reference, "5").first_error_step == 2


def test_an_equation_with_the_number_first_is_checked() -> None:
    question = ("Jayden had $70. His sister gave him half of her $90 allowance to help him buy a camera that costs x. "
                "How much more does Jayden need? If we know the answer of the above question is 85, what is the value "
                "of unknown variable x?")
    reference = ("Ava gave him $90/2 = $45.\nHe has $70 + $45 = $115.\nHe needs x - $115 more.\nSo x - $115 = $85.\n"
                 "x = $200.\n#### 200")
    solution = ("Step 1: Ava gave him (1/2)*$90 = $45.\nStep 2: He has $70 + $45 = $115.\n"
                "Step 3: He needs $85 more, so we can write: $115 = $85 + x.\nStep 4: $30 = x.\nStep 5: #### 30")
    diagnosis = diagnose(question, solution, reference, "200")
    assert diagnosis.first_error_step == 3 and "85+x" in diagnosis.evidence


def test_a_condition_on_the_unknown_does_not_derive_a_value() -> None:
    # the reference reaches 306 only in "$306 = $300 + 3x", a condition on x: the solution's 275 + 31 = 306 is no
    # other formula for it, and the first wrong step is the equation with the wrong interest
    question = ("Stephen borrowed $300 and will return it with an additional x% of the money. For 11 months he pays "
                "$25 a month and in the twelfth month he pays $31. What is the value of unknown variable x?")
    reference = ("In 11 months he pays $25 * 11 = $275.\nSo $306 = $300 + 3x.\n3x = 6.\nx = 2.\n#### 2")
    solution = ("Step 1: In 11 months he pays 11 * $25 = $275.\nStep 2: In all he pays $275 + $31 = $306.\n"
                "Step 3: The interest is x% of $300, so x% * $300 = $306 - $275.\nStep 4: x = 31 / 3 = 10.33.\n"
                "Step 5: #### 10")
    diagnosis = diagnose(question, solution, reference, "2")
    assert diagnosis.first_error_step == 3, diagnosis.evidence


def test_a_program_with_a_function_is_run_and_checked() -> None:
    question = ("A pool is 14 feet wide, 25 feet long and 4 feet deep. It needs 5.9 gallons of water per cubic foot, "
                "at $0.10 per gallon. How much will it cost to fill the pool?")
    reference = ("The volume is 14 * 25 * 4 = 1400 cubic feet.\nIt needs 1400 * 5.9 = 8260 gallons.\n"
                 "It costs 0.10 * 8260 = $826.\n#### 826")
    solution = ("Step 1: def volume(wide, long, deep):\nStep 2:     return wide * long * deep\n"
                "Step 3: v = volume(14, 25, 4)\nStep 4: cost = v * 0.10\nStep 5: print(cost)")
    diagnosis = diagnose(question, solution, reference, "826")
    assert diagnosis.first_error_step == 4 and "140" in diagnosis.evidence, diagnosis.evidence


def test_a_chain_takes_its_numbers_from_its_previous_link() -> None:
    question = "A bakery sells 52 boxes a week. Each box holds 2 muffins and 1 scone. How many items does it sell a week?"
    reference = "It sells 52 * 2 = 104 muffins.\nIt sells 52 * 1 = 52 scones.\nIn all 104 + 52 = 156 items.\n#### 156"
    # 3 is the (2 + 1) of the chain's first link, not a number brought in
    chained = "Step 1: It sells 52 * (2 + 1) = 52 * 3 = 156 items a week.\nStep 2: #### 156"
    assert diagnose(question, chained, reference, "156").first_error_step is None
    brought_in = "Step 1: It sells 52 * (2 + 1) = 52 * 4 = 208 items a week.\nStep 2: #### 208"
    assert diagnose(question, brought_in, reference, "156").first_error_step == 1


def test_the_unknown_is_one_letter_in_either_case() -> None:
    question = ("Janet had 22 green pens. Then she bought X bags of blue pens with 9 pens each. She has 76 pens now. "
                "What is the value of unknown variable X?")
    # the question writes X, the solution x: its equation is still checked at the gold value (6)
    solution = "Step 1: She has 22 + 9x pens.\nStep 2: So 22 + 9x = 86.\nStep 3: 9x = 86 - 22 = 64.\nStep 4: #### 7.11"
    diagnosis = diagnose(question, solution, "", "6")
    assert diagnosis.first_error_step == 2 and "22+9*x" in diagnosis.evidence, diagnosis.evidence


_GROOMER = ("A groomer takes 10 minutes per short-haired dog and 20 minutes per long-haired dog. He dries 6 "
            "short-haired and 9 long-haired dogs. How many hours does he work?")
_GROOMER_HEAD = ("The short-haired dogs take 6 * 10 = 60 minutes.\nThe long-haired dogs take 9 * 20 = 180 minutes.\n"
                 "In all he works 60 + 180 = 240 minutes.\n")
_JOSH = ("Josh has soccer practice on Monday, Wednesday, and Friday for 2 hours. He has band practice on Tuesday and "
         "Thursday for 1.5 hours. How many hours does he practise?")
_BOX = "A box is 2 feet long, 2 feet wide and 1 foot high. What is its volume in cubic feet?"
_SQUARE = "A square has sides of 20 cm. What is its perimeter?"
_BROOKE = ("Brooke has 15 math problems and 6 social studies problems. A math problem takes him 2 minutes and a social "
           "studies problem 30 seconds. How many seconds does he need?")
_MEAL = ("Arthur had an appetizer for $8, a steak for $20, two glasses of wine for $3 each and dessert for $6. What did "
         "the meal cost?")
_MITCH = "Mitch needs 3 cups of flour and 2 cups of sugar, with a 1/3 cup scoop. How many scoops does he need?"
_MITCH_HEAD = ("He needs 9 scoops of flour because 3 / (1/3) = 9\n"
               "He needs 6 scoops of sugar because 2 / (1/3) = 6\n")
_CATS = "There are 15 cats. A third were adopted and replaced by twice as many. How many cats are there now?"
_CATS_HEAD = "15/3 = 5 cats were adopted.\nThere were 15-5 = 10 cats left.\n5*2 = 10 more cats were added"
_TOAST = ("On Saturdays and Sundays, Sue makes french toast: she and her husband have 1 slice each and her daughters "
          "split 1 slice. How many slices does she use in 52 weeks?")


@pytest.mark.parametrize(("question", "solution", "reference", "gold", "step", "kind"), [
    # the step computes 16 - 7 = 9 right but says, and goes on with, 8 eggs
    pytest.param(QUESTION, "She eats 7 eggs because 3 + 4 = 7.\nShe has 8 eggs left because 16 - 7 = 9.\n"
                 "She makes 16 dollars because 8 * 2 = 16.\n#### 16",
                 "She eats 7 eggs because 3 + 4 = 7.\nShe has 9 eggs left because 16 - 7 = 9.\n"
                 "She makes 18 dollars because 9 * 2 = 18.\n#### 18", "18", 2, "referencing_previous_step_value_error",
                 id="result-carried-on-wrong"),
    # 240 minutes / 60 = 4 hours: 60 converts minutes to hours, although an earlier result is 60 too
    pytest.param(_GROOMER, _GROOMER_HEAD + "That is 240 minutes / 50 = 4.8 hours.\n#### 4.8",
                 _GROOMER_HEAD + "That is 240 minutes / 60 = 4 hours.\n#### 4", "4", 4, "unit_conversion_error",
                 id="constant-between-two-named-units"),
    # Tuesday and Thursday: 2 days, counted per sentence of the question
    pytest.param(_JOSH, "Soccer is 2 hours x 3 days = 6 hours.\nBand is 1.5 hours x 3 days = 4.5 hours.\n"
                 "In total 6 + 4.5 = 10.5 hours.\n#### 10.5",
                 "Soccer is 2 hours x 3 days = 6 hours.\nBand is 1.5 hours x 2 days = 3 hours.\n"
                 "In total 6 + 3 = 9 hours.\n#### 9", "9", 2, "counting_error", id="named-days-per-sentence"),
    # the same quantities recombined: a surface-like sum for the volume
    pytest.param(_BOX, "The volume is (2*2)+(2*1)+(1*2) = 8 cubic feet.\n#### 8",
                 "The volume is 2*2*1 = 4 cubic feet.\n#### 4", "4", 1, "confusing_formula_error", id="recombined"),
    # the reference's computation kept, one more term on top: added information
    pytest.param(_BOX, "The volume is 2*2*1+2 = 6 cubic feet.\n#### 6", "The volume is 2*2*1 = 4 cubic feet.\n#### 4",
                 "4", 1, "adding_irrelevant_information", id="one-more-term"),
    # a power is an operator of its own, not 4*20 with one number changed
    pytest.param(_SQUARE, "The perimeter is 20^2 = 400.\n#### 400", "The perimeter is 4*20 = 80.\n#### 80", "80", 1,
                 "confusing_formula_error", id="power-for-product"),
    # a constant from outside the problem (a square's 4 sides) replaced: the formula's, not a count
    pytest.param(_SQUARE, "The perimeter is 20*20 = 400.\n#### 400", "The perimeter is 4*20 = 80.\n#### 80", "80", 1,
                 "confusing_formula_error", id="outside-constant"),
    # 30 seconds is the question's, though 15 x 2 = 30 is an earlier result too
    pytest.param(_BROOKE, "Math takes 15 x 2 = 30 minutes.\nSocial studies takes 6 x 20 seconds = 120 seconds.\n"
                 "In all 1800 + 120 = 1920 seconds.\n#### 1920",
                 "Math takes 15 x 2 = 30 minutes.\nSocial studies takes 6 x 30 seconds = 180 seconds.\n"
                 "In all 1800 + 180 = 1980 seconds.\n#### 1980", "1980", 2, "referencing_context_value_error",
                 id="written-as-the-question-writes-it"),
    # one value replaced everywhere it occurs is one replacement
    pytest.param(_MEAL, "The meal cost $8 + $20 + $5 + $5 + $6 = $44.\n#### 44",
                 "The meal cost $8 + $20 + $3 + $3 + $6 = $40.\n#### 40", "40", 1, "referencing_context_value_error",
                 id="one-value-replaced-twice"),
    # an added step brings in 1 scoop, which a later step adds to the reference's sum
    pytest.param(_MITCH, _MITCH_HEAD + "Because Mitch also wants 1/3 cup of cocoa, he needs 1 more scoop.\n"
                 "He needs 16 total scoops because 9 + 6 + 1 = 16\n#### 16",
                 _MITCH_HEAD + "He needs 15 total scoops because 9 + 6 = 15\n#### 15", "15", 3,
                 "adding_irrelevant_information", id="added-step-used-later"),
    # the same for a number a changed step brings in
    pytest.param(_CATS, _CATS_HEAD + ", and a donor brought 3 more cats.\nThis makes 10+10+3 = 23 cats.\n#### 23",
                 _CATS_HEAD + ".\nThis makes 10+10 = 20 cats.\n#### 20", "20", 3, "adding_irrelevant_information",
                 id="changed-step-used-later"),
    # one operator taken for another throughout
    pytest.param("Jo had 11 apples. She gave 6 to Al and 3 to Bo. How many apples does she have left?",
                 "She has 11 + 6 + 3 = 20 apples left.\n#### 20", "She has 11 - 6 - 3 = 2 apples left.\n#### 2", "2",
                 1, "operator_error", id="operator-throughout"),
    # 3*1 = 3 states 3, a number the reference has too; the changed equation is still typed (2 days counted as 1)
    pytest.param(_TOAST, "She makes 3 slices on Saturday and Sunday for a total of 3*1 = 3 slices per weekend.\n"
                 "Over 52 weeks she uses 3*52 = 156 slices.\n#### 156",
                 "She makes 3 slices on Saturday and Sunday for a total of 3*2 = 6 slices per weekend.\n"
                 "Over 52 weeks she uses 6*52 = 312 slices.\n#### 312", "312", 1, "counting_error",
                 id="changed-equation-with-a-reference-result"),
    # "(Bo's apples + 5) + (Bo's apples + 2) + Bo's apples = 40" equates quantities named in words: without the
    # words it is no arithmetic ("(+5)+(+2)" is not 40), so nothing is miscomputed there; the later slip is the error
    pytest.param("Together, Ann, Bo and Cy have 40 apples. Ann has 5 more apples than Bo, and Cy has 2 more than Bo. "
                 "How many apples does Bo have?",
                 "Step 1: Ann has Bo's apples + 5 and Cy has Bo's apples + 2.\n"
                 "Step 2: So (Bo's apples + 5) + (Bo's apples + 2) + Bo's apples = 40.\n"
                 "Step 3: Then 3 * Bo's apples = 40 - 7 = 34.\nStep 4: Bo has 34 / 3 = 11.33 apples.\nStep 5: #### 11.33",
                 "Bo has b apples, Ann b + 5 and Cy b + 2.\nSo 3b + 7 = 40.\nThen 3b = 33 and b = 11.\n#### 11", "11", 3,
                 "calculation_error", id="quantities-named-in-words"),
])
def test_a_changed_quantity_is_typed_by_where_it_comes_from(question: str, solution: str, reference: str, gold: str,
                                                            step: int, kind: str) -> None:
    _typed((step, kind), question, solution, reference, gold)


def test_a_wrong_method_is_wrong_where_it_is_announced() -> None:
    """A step that only names the next operation in words, followed by a step that carries it out without a
    miscalculation but goes off the reference's path: the method was wrong where it was chosen (the announcing step).
    A miscomputed step after a sound announcement stays the error."""
    question = "A bakery makes 40 loaves in 4 hours and 30 rolls in 2 hours. How many items does it make in 8 hours?"
    reference = ("It makes 40/4 = 10 loaves an hour.\nIt makes 30/2 = 15 rolls an hour.\nThat is 10 + 15 = 25 items "
                 "an hour.\nIn 8 hours it makes 25 * 8 = 200 items.\n#### 200")
    solution = ("Step 1: The bakery makes 40 loaves in 4 hours.\nStep 2: It makes 30 rolls in 2 hours.\n"
                "Step 3: To find the total, we add the loaves and the rolls.\nStep 4: 40 + 30 = 70 items.\n"
                "Step 5: #### 70")
    diagnosis = diagnose(question, solution, reference, "200")
    assert diagnosis.first_error_step == 3, diagnosis.evidence
    assert "announces the operation" in diagnosis.evidence
    # the operation announced is not the one the next step carries out last: that step's own choice is wrong
    other = solution.replace("we add the loaves and the rolls", "we divide by 2 hours").replace(
        "40 + 30 = 70", "40 + 30 / 2 = 55").replace("#### 70", "#### 55")
    assert diagnose(question, other, reference, "200").first_error_step == 4
    miscomputed = ("Step 1: She eats 3 + 4 = 7 eggs every day.\nStep 2: To find what is left, we subtract 7 from 16."
                   "\nStep 3: 16 - 7 = 8 eggs.\nStep 4: She makes 8 * 2 = $16.\nStep 5: #### 16")
    assert _check(miscomputed).first_error_step == 3


def test_a_step_that_restates_what_the_reference_combines_changes_nothing() -> None:
    """In an edit of the reference, a step that computes nothing but names every quantity its reference step combines
    leaves nothing out: the first change (and error) is the later step that computes wrong. Naming only some of them
    leaves one out (a missing step, there)."""
    question = "Each cake needs 2 cups of flour, 3 cups of milk and 0.5 cups of sugar. How many cups do 4 cakes need?"
    reference = ("The flour, milk and sugar for one cake are 2 + 3 + 0.5 = 5.5 cups.\n"
                 "For four cakes that is 4 * 5.5 = 22 cups.\n#### 22")
    solution = ("Step 1: The flour, milk and sugar for one cake are 2, 3 and 0.5 cups.\n"
                "Step 2: For four cakes that is 4 * 5.5 = 24 cups.\nStep 3: #### 24")
    _typed((2, "calculation_error"), question, solution, reference, "22")
    _typed((1, "missing_step"), question, solution.replace("2, 3 and 0.5", "2 and 3"), reference, "22")


def test_an_expression_in_the_unknown_that_does_not_depend_on_it_is_checked_as_a_value() -> None:
    """``(4 * x) / x`` is 4 whatever x is: a number, whose value must lie on the reference's path like any other."""
    question = ("Tom reads x pages an hour for 4 hours and Ann reads 10 pages. Together they read 50 pages. "
                "What is the value of unknown variable x?")
    reference = "Tom reads 4 * x pages.\nSo 4x + 10 = 50.\nThen 4x = 40, so x = 10.\n#### 10"
    solution = ("Step 1: In 4 hours Tom reads (4 * x) / x = 4 pages.\nStep 2: Together they read 4 + 10 = 14 pages.\n"
                "Step 3: So x = 50 - 14 = 36.\nStep 4: #### 36")
    diagnosis = diagnose(question, solution, reference, "10")
    assert diagnosis.first_error_step == 1, diagnosis.evidence


def test_a_number_first_asserted_in_words_is_wrong_where_it_is_asserted() -> None:
    """A step that uses, where the reference has another number, one that an earlier step asserted in words without
    computing it: the assertion is the first error. Where the number first appears computed (a result, restated
    later), the error stays where it is used."""
    question = "Pens come in packs of 6 and pencils in packs of 9. Sam buys 30 pens and 27 pencils. How many packs?"
    reference = ("He buys 30 / 6 = 5 packs of pens.\nHe buys 27 / 9 = 3 packs of pencils.\n"
                 "That is 5 + 3 = 8 packs.\n#### 8")
    solution = ("Step 1: Sam wants 30 pens and 27 pencils.\nStep 2: The pens are sold 2 to a pack.\n"
                "Step 3: For the pens, Sam needs 30 / 2 = 15 packs.\nStep 4: For the pencils, Sam needs 27 / 9 = 3.\n"
                "Step 5: Altogether 15 + 3 = 18 packs.\nStep 6: #### 18")
    diagnosis = diagnose(question, solution, reference, "8")
    assert diagnosis.first_error_step == 2 and "asserts 2" in diagnosis.evidence, diagnosis.evidence
    computed = ("Step 1: For the pens, Sam needs 30 / 6 = 5 packs.\nStep 2: For the pencils, he needs 27 / 9 = 3.\n"
                "Step 3: Altogether 5 + 3 = 8 packs.\nStep 4: So there are 8 packs in all.\n"
                "Step 5: Each of the two kinds then gets 8 / 2 = 4 packs.\nStep 6: #### 4")
    assert diagnose(question, computed, reference, "8").first_error_step == 5
