"""Write examples/mwpes/gsm8k_demo_solutions.jsonl: twelve grade-school word problems written for knowbench, each
with a reference solution and four model solutions, in the layout of OpenAI's ``example_model_solutions.jsonl``
(``question``, ``ground_truth`` ending in ``A: <answer>``, and ``6b_finetuning`` ... ``175b_verification``, each
``{"solution", "is_correct"}``; calculator notes ``<<a*b=c>>``). The problems and solutions are invented here, and
the wrong solutions carry typical mistakes (a slip in one calculation, a swapped operator, a dropped step, a
number copied wrong) so that the demo's error analysis and clustering have something to find.

Run: python examples/mwpes/make_demo_solutions.py
"""

from __future__ import annotations

import json
from pathlib import Path

# (question, [(description, expression)], the last step's value is the answer)
PROBLEMS = [
    ("A baker makes {a} loaves each morning and sells {b} of them. How many loaves are left each morning?",
     {"a": 48, "b": 35}, [("She has {a} - {b} = <<{a}-{b}={r0}>>{r0} loaves left", "a-b")]),
    ("Tom buys {a} packs of pens with {b} pens in each pack. He gives away {c} pens. How many pens does he keep?",
     {"a": 6, "b": 12, "c": 19},
     [("He buys {a} * {b} = <<{a}*{b}={r0}>>{r0} pens", "a*b"), ("He keeps {r0} - {c} = <<{r0}-{c}={r1}>>{r1} pens", "r0-c")]),
    ("A garden has {a} rows of tulips with {b} tulips in each row and {c} roses. How many flowers are in the garden?",
     {"a": 7, "b": 15, "c": 38},
     [("There are {a} * {b} = <<{a}*{b}={r0}>>{r0} tulips", "a*b"), ("In all {r0} + {c} = <<{r0}+{c}={r1}>>{r1} flowers", "r0+c")]),
    ("Lena reads {a} pages a day for {b} days, then {c} more pages on Sunday. How many pages does she read?",
     {"a": 23, "b": 6, "c": 41},
     [("She reads {a} * {b} = <<{a}*{b}={r0}>>{r0} pages on weekdays", "a*b"), ("Then {r0} + {c} = <<{r0}+{c}={r1}>>{r1} pages", "r0+c")]),
    ("A bus carries {a} people. At the first stop {b} get off and {c} get on. How many people are on the bus now?",
     {"a": 52, "b": 17, "c": 9},
     [("After the stop {a} - {b} = <<{a}-{b}={r0}>>{r0} people remain", "a-b"), ("Then {r0} + {c} = <<{r0}+{c}={r1}>>{r1} people", "r0+c")]),
    ("Each box holds {a} apples. A farmer fills {b} boxes and sells them for ${c} a box. How much money does he get?",
     {"a": 24, "b": 14, "c": 11},
     [("He sells {b} boxes for {b} * {c} = <<{b}*{c}={r0}>>{r0} dollars", "b*c")]),
    ("A school has {a} classes of {b} pupils. {c} pupils are absent. How many pupils are present?",
     {"a": 9, "b": 28, "c": 13},
     [("There are {a} * {b} = <<{a}*{b}={r0}>>{r0} pupils", "a*b"), ("Present are {r0} - {c} = <<{r0}-{c}={r1}>>{r1} pupils", "r0-c")]),
    ("Mia saves ${a} a week for {b} weeks and spends ${c} on a bike. How much money does she have left?",
     {"a": 35, "b": 12, "c": 299},
     [("She saves {a} * {b} = <<{a}*{b}={r0}>>{r0} dollars", "a*b"), ("She has {r0} - {c} = <<{r0}-{c}={r1}>>{r1} dollars left", "r0-c")]),
    ("A train travels {a} km an hour for {b} hours and then {c} km more. How far does it travel?",
     {"a": 85, "b": 4, "c": 57},
     [("It travels {a} * {b} = <<{a}*{b}={r0}>>{r0} km first", "a*b"), ("In all {r0} + {c} = <<{r0}+{c}={r1}>>{r1} km", "r0+c")]),
    ("A shop has {a} shirts. It sells {b} on Monday and {c} on Tuesday. How many shirts are left?",
     {"a": 140, "b": 37, "c": 46},
     [("After Monday {a} - {b} = <<{a}-{b}={r0}>>{r0} shirts", "a-b"), ("After Tuesday {r0} - {c} = <<{r0}-{c}={r1}>>{r1} shirts", "r0-c")]),
    ("Sam packs {a} cookies into bags of {b}. How many bags does he fill?",
     {"a": 156, "b": 12}, [("He fills {a} / {b} = <<{a}/{b}={r0}>>{r0} bags", "a//b")]),
    ("A pool holds {a} litres. It is filled at {b} litres a minute for {c} minutes. How many litres are still missing?",
     {"a": 2000, "b": 45, "c": 30},
     [("It gets {b} * {c} = <<{b}*{c}={r0}>>{r0} litres", "b*c"), ("Missing are {a} - {r0} = <<{a}-{r0}={r1}>>{r1} litres", "a-r0")]),
]

SOLUTION_KEYS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")
SWAP = {"+": "-", "-": "+", "*": "+", "/": "*"}


def _values(numbers: dict[str, int], steps: list[tuple[str, str]]) -> dict[str, int]:
    env = dict(numbers)
    for index, (_, expression) in enumerate(steps):
        env[f"r{index}"] = eval(expression, {}, dict(env))  # our own fixed expressions
    return env


def _text(steps: list[tuple[str, str]], env: dict[str, int]) -> str:
    lines = [template.format(**env) for template, _ in steps]
    return "\n".join(lines) + f"\nA: {env[f'r{len(steps) - 1}']}"


def _slip(steps, env):
    """The last calculation off by a small amount."""
    last = f"r{len(steps) - 1}"
    wrong = dict(env)
    wrong[last] = env[last] + (10 if env[last] % 3 else -1)
    return _text(steps, wrong)


def _swap(steps, env):
    """The last step's operator swapped."""
    template, expression = steps[-1]
    op = next(c for c in expression if c in "+-*/")
    new_op = SWAP[op]
    swapped = expression.replace("//", "/").replace(op, new_op).replace("/", "//")
    shown = template.replace(f" {op} ", f" {new_op} ").replace(f"}}{op}{{", f"}}{new_op}{{")
    changed = [*steps[:-1], (shown, swapped)]
    return _text(changed, _values({k: v for k, v in env.items() if not k.startswith("r")}, changed))


def _dropped(steps, env):
    """Stops one step early (the answer is an intermediate value); one-step problems copy a number instead."""
    if len(steps) == 1:
        return _copied(steps, env)
    return _text(steps[:-1], env)


def _copied(steps, env):
    """The first number of the question copied wrong (two digits swapped)."""
    numbers = {k: v for k, v in env.items() if not k.startswith("r")}
    first = next(iter(numbers))
    digits = str(numbers[first])
    numbers[first] = int(digits[::-1]) if len(digits) > 1 and digits[::-1] != digits else numbers[first] + 1
    return _text(steps, _values(numbers, steps))


MISTAKES = [_slip, _swap, _dropped, _copied]


def main() -> None:
    out = Path(__file__).with_name("gsm8k_demo_solutions.jsonl")
    lines = []
    for index, (question, numbers, steps) in enumerate(PROBLEMS):
        env = _values(numbers, steps)
        record = {"question": question.format(**numbers), "ground_truth": _text(steps, env)}
        for position, key in enumerate(SOLUTION_KEYS):
            # one correct solution per problem, three wrong ones with different mistakes
            if (index + position) % 4 == 0:
                record[key] = {"is_correct": True, "solution": _text(steps, env)}
            else:
                mistake = MISTAKES[(index + position) % len(MISTAKES)]
                record[key] = {"is_correct": False, "solution": mistake(steps, env)}
        lines.append(json.dumps(record, ensure_ascii=False))
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out} ({len(lines)} problems)")


if __name__ == "__main__":
    main()
