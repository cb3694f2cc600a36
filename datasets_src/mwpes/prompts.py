"""Chat prompts for collecting solutions: zero-shot chain of thought by default, few-shot optional.

The few-shot exemplars are short problems written for knowbench (not taken from any dataset), with worked
solutions that end in the format the judge reads first for their answer kind.

Example:
    >>> from knowbench.datasets_src.mwpes.schema import Problem
    >>> messages = build_messages(Problem("gsm8k", "test-0", "Tom has 3 apples and buys 2. How many?", "5", ""))
    >>> [m["role"] for m in messages], messages[-1]["content"].endswith("How many?")
    (['user'], True)
    >>> len(build_messages(Problem("gsm8k", "t", "q?", "1", ""), few_shot=2))
    5
"""

from __future__ import annotations

from typing import Any

from knowbench.datasets_src.mwpes.schema import Problem
from knowbench.errors import ConfigError

#: bumped whenever a template or exemplar changes (recorded in every run's config)
PROMPT_VERSION = 1

INSTRUCTIONS = {
    "number": (
        "Solve the following math word problem. Think step by step, then write the final answer on the last "
        'line as "The answer is N." where N is a number.'
    ),
    "letter": (
        "Solve the following multiple-choice math problem. Think step by step, then write the final answer on "
        'the last line as "The answer is (X)." where X is the letter of the correct option.'
    ),
    "latex": (
        "Solve the following math problem. Think step by step, and put the final answer in \\boxed{} at the end."
    ),
}

EXEMPLARS: dict[str, list[tuple[str, str]]] = {
    "number": [
        (
            "A baker fills 6 trays with 8 rolls each and sells 29 rolls. How many rolls are left?",
            "The trays hold 6 * 8 = 48 rolls. After selling 29, 48 - 29 = 19 rolls are left.\nThe answer is 19.",
        ),
        (
            "Mia reads 12 pages on Monday and twice as many on Tuesday. How many pages does she read in the two days?",
            "On Tuesday she reads 2 * 12 = 24 pages. In total she reads 12 + 24 = 36 pages.\nThe answer is 36.",
        ),
        (
            "A ticket costs $7.50. How much do 4 tickets cost in dollars?",
            "Four tickets cost 4 * 7.50 = 30 dollars.\nThe answer is 30.",
        ),
        (
            "A garden has 45 plants in 5 equal rows. Each row gets 3 more plants. How many plants are in one row now?",
            "Each row had 45 / 5 = 9 plants. With 3 more, a row has 9 + 3 = 12 plants.\nThe answer is 12.",
        ),
    ],
    "letter": [
        (
            "A train travels 150 km in 2.5 hours. What is its average speed?\n"
            "Options: A) 50 km/h B) 55 km/h C) 60 km/h D) 65 km/h E) 75 km/h",
            "Speed is distance over time: 150 / 2.5 = 60 km/h, which is option C.\nThe answer is (C).",
        ),
        (
            "If 3x + 4 = 19, what is x?\nOptions: A) 3 B) 4 C) 5 D) 6 E) 7",
            "Subtract 4: 3x = 15. Divide by 3: x = 5, which is option C.\nThe answer is (C).",
        ),
        (
            "What is 20% of 340?\nOptions: A) 34 B) 60 C) 64 D) 68 E) 72",
            "20% of 340 is 0.2 * 340 = 68, which is option D.\nThe answer is (D).",
        ),
        (
            "The ratio of boys to girls is 3:5 and there are 40 students. How many girls are there?\n"
            "Options: A) 15 B) 20 C) 24 D) 25 E) 30",
            "There are 3 + 5 = 8 parts, each 40 / 8 = 5 students, so girls are 5 * 5 = 25, option D.\n"
            "The answer is (D).",
        ),
    ],
    "latex": [
        (
            "What is the sum of the roots of $x^2 - 7x + 10 = 0$?",
            "The roots are $2$ and $5$ since $x^2 - 7x + 10 = (x-2)(x-5)$. Their sum is $\\boxed{7}$.",
        ),
        (
            "Simplify $\\frac{12}{18}$.",
            "Both numbers share the factor $6$, so $\\frac{12}{18} = \\boxed{\\frac{2}{3}}$.",
        ),
        (
            "How many positive divisors does $36$ have?",
            "$36 = 2^2 \\cdot 3^2$, so it has $(2+1)(2+1) = \\boxed{9}$ divisors.",
        ),
        (
            "Find $x$ if $2^x = 32$.",
            "Since $32 = 2^5$, we get $x = \\boxed{5}$.",
        ),
    ],
}


def problem_text(problem: Problem) -> str:
    """The problem as the model sees it (AQuA options listed after the question)."""
    if problem.options:
        return f"{problem.question}\nOptions: {' '.join(problem.options)}"
    return problem.question


def build_messages(problem: Problem, few_shot: int = 0) -> list[dict[str, Any]]:
    """The chat conversation for one problem: ``few_shot`` worked exemplars as earlier turns, then the problem."""
    kind = problem.answer_kind
    exemplars = EXEMPLARS[kind]
    if not 0 <= few_shot <= len(exemplars):
        raise ConfigError(f"few_shot must be between 0 and {len(exemplars)}, got few_shot={few_shot}")
    instruction = INSTRUCTIONS[kind]
    messages: list[dict[str, Any]] = []
    for question, answer in exemplars[:few_shot]:
        messages.append({"role": "user", "content": f"{instruction}\n\nProblem: {question}"})
        messages.append({"role": "assistant", "content": answer})
    messages.append({"role": "user", "content": f"{instruction}\n\nProblem: {problem_text(problem)}"})
    return messages
