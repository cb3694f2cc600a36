"""Tokens/s of a local model backend: batched against one-prompt-at-a-time generation, in the same run.

Prompts are real GSM8K test questions (``../shared/data/mwp/gsm8k_test.jsonl``, or ``--questions FILE`` with a
``question`` field per JSON line); the same prompts are generated greedily once one by one (the baseline) and once in
batches, and the script prints tokens/s of both, the ratio, and whether the greedy texts agree.

    python bench/bench_generation.py                         # 8 prompts, 32 new tokens, batch 8 (~2 min on 2 cores)
    python bench/bench_generation.py --prompts 32 --max-new-tokens 128 --batch-size 16 --threads 4
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_QUESTIONS = (
    Path(os.environ.get("KNOWBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))
    / "mwp"
    / ("gsm8k_test.jsonl")
)
# used only when the shared sample is absent (our own questions)
FALLBACK = [
    "A shop sells pencils at 3 for $1. How much do 27 pencils cost?",
    "Tom reads 12 pages a day. How many days does he need for a 180-page book?",
    "A train travels 60 km per hour for 2.5 hours. How far does it go?",
    "Anna has 4 boxes with 15 apples each and gives away 18 apples. How many are left?",
]


def load_questions(path: Path, count: int) -> list[str]:
    if path.is_file():
        questions = []
        with open(path) as handle:
            for line in handle:
                if line.strip():
                    questions.append(json.loads(line)["question"])
                if len(questions) == count:
                    break
        return questions
    print(f"note: {path} not found, using {len(FALLBACK)} built-in questions", file=sys.stderr)
    return (FALLBACK * (count // len(FALLBACK) + 1))[:count]


def measure(backend, conversations, config, batch_size: int) -> tuple[float, int, list[str]]:
    started = time.perf_counter()
    texts, tokens = [], 0
    for start in range(0, len(conversations), batch_size):
        for completions in backend.chat(conversations[start : start + batch_size], config):
            texts.append(completions[0].text)
            tokens += completions[0].completion_tokens
    return time.perf_counter() - started, tokens, texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", default="transformers:smollm2")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: half the cores)"
    )
    args = parser.parse_args(argv)

    from knowbench.backends import GenerationConfig, load_backend

    options = {"batch_size": args.batch_size}
    if args.backend.startswith("transformers:"):
        options["threads"] = args.threads
    started = time.perf_counter()
    backend = load_backend(args.backend, **options)
    print(f"backend {args.backend}: loaded in {time.perf_counter() - started:.1f} s")
    questions = load_questions(args.questions, args.prompts)
    conversations = [[{"role": "user", "content": q + "\nSolve it step by step."}] for q in questions]
    config = GenerationConfig(max_new_tokens=args.max_new_tokens)
    measure(backend, conversations[:1], GenerationConfig(max_new_tokens=4), 1)  # warm-up

    single_s, single_tokens, single_texts = measure(backend, conversations, config, 1)
    batched_s, batched_tokens, batched_texts = measure(backend, conversations, config, args.batch_size)
    single_rate, batched_rate = single_tokens / single_s, batched_tokens / batched_s
    agree = sum(a == b for a, b in zip(single_texts, batched_texts, strict=True))
    print(f"prompts {len(conversations)}, max_new_tokens {args.max_new_tokens}, batch size {args.batch_size}")
    print(f"unbatched: {single_tokens} tokens in {single_s:.2f} s = {single_rate:.1f} tokens/s (baseline)")
    print(f"batched:   {batched_tokens} tokens in {batched_s:.2f} s = {batched_rate:.1f} tokens/s")
    print(
        f"ratio batched/unbatched: {batched_rate / single_rate:.2f}x; greedy texts identical: {agree}/{len(questions)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
