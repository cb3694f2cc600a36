"""Agreement of knowbench's MWP judge with OpenAI's published ``is_correct`` labels on GPT-3 GSM8K solutions.

Run: python bench/mwpes_judge_agreement.py [--solutions PATH] [--show N]

Prints the agreement over the 5,276 solutions and every disagreement, grouped into classes with counts. A class
is decided from the solution and the published answer alone (see :func:`classify`).
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

from knowbench.datasets_src.mwpes.ingest import model_and_strategy, read_gsm8k_example_solutions
from knowbench.datasets_src.mwpes.judge import judge, to_number

DEFAULT = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "mwp_solutions"
    / "gsm8k_example_model_solutions.jsonl"
)


def published_answer(solution: str) -> str | None:
    """What OpenAI's label was computed from: the text of a last line ``A: ...`` (exact string match with gold)."""
    last = solution.rstrip().rsplit("\n", 1)[-1]
    return last[2:].strip() if last.startswith("A:") else None


def classify(gold: str, solution: str, judged_correct: bool, is_correct: bool) -> str:
    """Name the reason a verdict differs from the published label."""
    answer = published_answer(solution)
    if answer is None:
        return "no 'A:' final line (truncated solution); judge read another number"
    value = to_number(answer)
    if judged_correct and not is_correct:
        if value is not None and answer != gold:
            return f"same value, other spelling ({'trailing zeros' if re.search(r'[.]0+$', answer) else 'format'}): label is an exact string match"
        return "judge says correct, label says wrong, same string"
    if value is None:
        return "final line is not one number; label says correct"
    return "label says correct, values differ"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solutions", type=Path, default=DEFAULT)
    parser.add_argument("--show", type=int, default=2, help="examples printed per disagreement class")
    parser.add_argument("--math", type=int, default=200, help="MATH gold solutions in the self-check (0 = skip)")
    args = parser.parse_args()
    start = time.perf_counter()
    total = agree = 0
    classes: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    by_model: Counter[tuple[str, str, bool]] = Counter()
    methods: Counter[tuple[str, str]] = Counter()
    for problem, entries in read_gsm8k_example_solutions(args.solutions):
        for key, solution, is_correct in entries:
            verdict = judge(problem, solution)
            total += 1
            model, strategy = model_and_strategy(key)
            by_model[(model, strategy, verdict.correct)] += 1
            answer = published_answer(solution)
            methods[
                (
                    verdict.method,
                    "A: line differs from the extracted number"
                    if answer is not None and answer != verdict.extracted
                    else "",
                )
            ] += 1
            if verdict.correct == is_correct:
                agree += 1
                continue
            name = classify(problem.gold_answer, solution, verdict.correct, is_correct)
            classes[name] += 1
            tail = solution.rstrip().rsplit("\n", 1)[-1]
            examples[name].append(
                f"{problem.problem_id} {key}: gold={problem.gold_answer!r} extracted={verdict.extracted!r} "
                f"({verdict.method}) published={is_correct} last line={tail[:70]!r}"
            )
    elapsed = time.perf_counter() - start
    print(f"solutions judged: {total:,} in {elapsed:.1f}s ({total / elapsed:,.0f}/s)")
    print(f"agreement with published is_correct: {agree:,}/{total:,} = {agree / total:.4%}")
    print(f"disagreements: {total - agree:,}")
    for name, count in classes.most_common():
        print(f"  {count:5d}  {name}")
        for line in examples[name][: args.show]:
            print(f"         e.g. {line}")
    print("how the judge found the answer (extraction method):")
    for (method, note), count in methods.most_common():
        print(f"  {count:5d}  {method}{'  ' + note if note else ''}")
    print("judge verdicts per model/strategy (wrong / total):")
    for model, strategy in sorted({(m, s) for m, s, _ in by_model}):
        wrong, right = by_model[(model, strategy, False)], by_model[(model, strategy, True)]
        print(f"  {model:10s} {strategy:13s} {wrong:5d} / {wrong + right:5d}")
    gold_self_check(args.solutions.parents[1] / "mwp", args.math)


def gold_self_check(folder: Path, math_limit: int) -> None:
    """Secondary check without labels: each set's own gold solution must be judged correct."""
    from knowbench.datasets_src.mwpes import read_problems

    print("gold solutions judged correct (their own final-answer formats):")
    for name, file, limit in (("gsm8k", "gsm8k_test.jsonl", None), ("aqua", "aqua_test.json", None),
                              ("math", "math_test.jsonl", math_limit)):
        if limit == 0 or not (folder / file).exists():
            continue
        problems = read_problems(name, folder / file)
        if limit:
            problems = problems[:: max(1, len(problems) // limit)][:limit]
        verdicts = [judge(p, p.gold_solution) for p in problems]
        misses = Counter(v.label for v in verdicts if not v.correct)
        print(f"  {name:6s} {sum(v.correct for v in verdicts):5d} / {len(verdicts):5d}  misses: {dict(misses)}")


if __name__ == "__main__":
    main()
