"""Step splitting of every solution layout, equations, and program-of-thought values from the sandbox."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from knowbench.training.mwpes.steps import (
    equations,
    normalise_expression,
    raw_steps,
    split_steps,
    unknown_expressions,
)

MR = "mwp_solutions/mr_gsm8k_wrong_dev.jsonl"


def test_step_prefixes_keep_the_solutions_numbering(shared_data: Path) -> None:
    rows = [json.loads(line) for line in (shared_data / MR).read_text().splitlines()]
    for row in rows:
        steps = raw_steps("\n".join(row["model_output_steps"]))
        assert [n for n, _ in steps] == [int(s.split(":")[0].split()[1]) for s in row["model_output_steps"]]
    # a numbering that does not start at 1 is kept as written
    assert [n for n, _ in raw_steps("Step 3: a = 2\nStep 4: b = 3")] == [3, 4]


def test_lines_sentences_and_answer_lines(shared_data: Path) -> None:
    gsm8k = json.loads((shared_data / "mwp/gsm8k_test.jsonl").read_text().splitlines()[0])
    steps = split_steps(gsm8k["answer"])
    lines = [line for line in gsm8k["answer"].split("\n") if line.strip()]
    assert [s.number for s in steps] == list(range(1, len(lines) + 1))
    assert steps[-1].kind == "answer" and all(s.kind == "text" for s in steps[:-1])
    # calculator notes are equations with their stated results
    for step in steps:
        notes = [float(n.split("=")[-1]) for n in re.findall(r"<<([^>]*)>>", step.text)]
        assert [e.stated for e in step.equations[:len(notes)]] == notes
    paragraph = split_steps("She has 3 apples. She buys 4 more, so 3 + 4 = 7. The answer is 7.")
    assert [s.number for s in paragraph] == [1, 2, 3] and paragraph[2].kind == "answer"
    assert paragraph[1].equations[0].expression == "3+4"


def test_latex_boxed_and_fractions() -> None:
    steps = split_steps("We need $\\frac{3}{4} \\times 8 = 6$ cups.\nSo the answer is $\\boxed{6}$.")
    assert steps[0].equations[0].computed == 6.0 and steps[0].equations[0].stated == 6.0
    assert steps[1].kind == "answer" and steps[1].numbers == (6.0,)


def test_written_equations_strip_units_and_keep_unknowns() -> None:
    assert normalise_expression("30 minutes * (1 hour/60 minutes)") == "30*(1/60)"
    assert normalise_expression("26 days * $10/day") == "26*10"
    assert normalise_expression("the 40 bulbs that Allyn has uses 60/40") == "60/40"  # the last expression only
    (wrong,) = equations("He can earn $6 x 4 = $23 for the skirts.")
    assert (wrong.stated, wrong.computed) == (23.0, 24.0)
    chain = equations("so 44+9X=<<44+9X=98-44=54>>54", {"X": 6.0})
    assert [(e.expression, e.stated, e.computed) for e in chain][:2] == [("44+9*X", 54.0, 98.0), ("98-44", 54.0, 54.0)]
    percent = equations("(3600/6000)*100% = 60%")
    assert percent[0].stated == percent[0].computed == 0.6


def test_program_of_thought_runs_in_the_sandbox(shared_data: Path) -> None:
    rows = [json.loads(line) for line in (shared_data / MR).read_text().splitlines()]
    pot = next(r for r in rows if r["question_type"] == "POT" and any("print(" in s for s in r["model_output_steps"]))
    steps = split_steps("\n".join(pot["model_output_steps"]))
    assert {s.kind for s in steps} == {"code"}
    namespace: dict = {}
    for step in steps:  # the same program, statement by statement, run here only to cross-check the sandbox
        code = step.text.split("#")[0]
        if code.strip().startswith("print("):
            assert step.values == (float(eval(code.strip()[6:-1], {}, namespace)),)
            continue
        exec(code, {}, namespace)
        target = code.split("=")[0].strip()
        if target.isidentifier() and isinstance(namespace.get(target), int | float):
            assert step.values == (float(namespace[target]),)


def test_equations_in_the_unknown_as_written_in_reversed_questions() -> None:
    x = {"x": 200.0}
    # "/x" divides by the unknown; "/day" is still a rate's unit
    assert normalise_expression("$365 / x", x) == "365/x" and normalise_expression("26 days * $10/day", x) == "26*10"
    (division,) = equations("so we can write: $365 / x = $803.", {"x": 5.0})
    assert (division.expression, division.stated, division.computed) == ("365/x", 803.0, 73.0)
    # the number first: read right to left, but only when the other side has the unknown
    (swapped,) = equations("so we can write: $115 = $85 + x.", x)
    assert (swapped.expression, swapped.stated, swapped.computed) == ("85+x", 115.0, 285.0)
    assert equations("The total is 30 = 5 + 25 apples.", x) == ()
    # "x%" is the unknown as a percentage
    (percent,) = equations("x% * $300 = $306 - $275", {"x": 2.0})
    assert (percent.expression, percent.stated, percent.computed) == ("(x/100)*300", 31.0, 6.0)
    # prose parentheses around an equation, and a negative amount of money
    (aside,) = equations("Luri can add: 100 - 20 = 80 (since he has 20 songs).")
    assert (aside.expression, aside.stated) == ("100-20", 80.0)
    (negative,) = equations("we get: $15.00x = -$135.00.", {"x": 6.0})
    assert (negative.stated, negative.computed) == (-135.0, 90.0)


def test_expressions_in_the_unknown_are_found_in_prose_and_on_both_sides() -> None:
    x = {"x"}
    assert unknown_expressions("So, they read a total of x + 1 + 1 = x + 2 books.", x) == ("x+1+1", "x+2")
    assert unknown_expressions("so she divides the interest by the months, which is $365 / x.", x) == ("365/x",)
    assert unknown_expressions("She bought 3 + 4 = 7 eggs.", x) == ()
    assert unknown_expressions("Then x = 5.", x) == ()  # the bare unknown is no expression
    assert unknown_expressions("x + 1 = 2", set()) == ()


def test_code_blocks_keep_their_indentation() -> None:
    solution = ("Step 1: def volume(wide, long, deep):\nStep 2:     return wide * long * deep\n"
                "Step 3: v = volume(14, 25, 4)\nStep 4: cost = v * 0.10\nStep 5: print(cost)")
    steps = split_steps(solution)
    assert {s.kind for s in steps} == {"code"} and [s.number for s in steps] == [1, 2, 3, 4, 5]
    assert steps[2].values == (1400.0,) and steps[3].values[0] == pytest.approx(140.0)
    assert steps[1].text == "return wide * long * deep"  # the step's text stays as written, without the indent
    assert [t for _, t in raw_steps(solution, keep_indent=True)][:2] == ["def volume(wide, long, deep):",
                                                                        "    return wide * long * deep"]


def test_a_formatted_print_reports_the_values_it_shows() -> None:
    from knowbench.sandbox import InProcessSandbox
    from knowbench.training.mwpes.program import run_program

    values = run_program([(1, "bags = 16 * 0.75"), (2, "cost = bags * 2"), (3, 'print(f"She spends ${cost:.2f}")')],
                         sandbox=InProcessSandbox())
    assert values == {1: (12.0,), 2: (24.0,), 3: (24.0,)}


@pytest.mark.parametrize(("text", "expression", "stated"), [
    ("so she has 55 - 27 - 3 = €25 left.", "55-27-3", 25.0),  # any currency sign, not only $
    ("It costs £4 + £4 = £8 in all.", "4+4", 8.0),
    ("there are 12 broken marbles because 60 x .2 = 12", "60*.2", 12.0),  # "x" before a leading decimal point
])
def test_currencies_and_leading_decimals_are_arithmetic(text: str, expression: str, stated: float) -> None:
    found = split_steps(text)[0].equations
    assert [(e.expression, e.stated) for e in found] == [(expression, stated)]


def test_a_power_is_an_operator_of_its_own() -> None:
    power, product = split_steps("a square's area is 20^2 = 400")[0], split_steps("its perimeter is 4*20 = 80")[0]
    assert power.equations[0].operators == "^" and product.equations[0].operators == "*"


@pytest.mark.parametrize(("text", "expression", "stated"), [
    ("His average is 99 because 693 divided by 7 equals 99.", "693/7", 99.0),
    ("She earns 4 times 5 = 20 dollars.", "4*5", 20.0),
    ("So that's 60/5 = 12 5 minute increments in 1 hour", "60/5", 12.0),  # the value ends before the next number
    ("The share is 2/8*100 = 25%.", "2/8*100", 25.0),  # a percentage of a left side that counts in percent
    ("The share is 2/8 = 25%.", "2/8", 0.25),
])
def test_arithmetic_in_words_and_a_value_followed_by_a_number(text: str, expression: str, stated: float) -> None:
    assert [(e.expression, e.stated) for e in split_steps(text)[0].equations] == [(expression, stated)]
