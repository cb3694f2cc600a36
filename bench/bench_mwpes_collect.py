"""Tokens/s of MWP collection with the local SmolLM2 backend: batched against unbatched, in the same process.

Run: python bench/bench_mwpes_collect.py [--problems 8] [--batch-size 8] [--max-new-tokens 32] [--threads 1]

Both passes run the real collection (prompt building, generation, judging, durable logging) on the same GSM8K
problems into fresh run folders; the unbatched pass is the baseline. Greedy decoding, so both produce the same
samples (checked and printed).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

DEFAULT_SOURCE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mwp" / "gsm8k_test.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--problems", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1 is fastest on a busy machine)"
    )
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from knowbench.backends import load_backend
    from knowbench.datasets_src.mwpes import read_problems
    from knowbench.datasets_src.mwpes.collect import CollectConfig, collect
    from knowbench.datasets_src.mwpes.runs import read_run

    problems = read_problems("gsm8k", args.source)[: args.problems]
    backend = load_backend("transformers:smollm2", batch_size=args.batch_size)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, batch in (("unbatched", 1), ("batched", args.batch_size)):
            backend.batch_size = batch
            config = CollectConfig(
                dataset="gsm8k",
                backend="transformers:smollm2",
                max_new_tokens=args.max_new_tokens,
                batch_size=batch,
            )
            report = collect(problems, config, Path(tmp) / label, backend, show_progress=False)
            texts = [
                s["solution"] for s in sorted(read_run(Path(tmp) / label).samples, key=lambda s: s["id"])
            ]
            results[label] = (report, texts)
            print(
                f"{label:9s} batch={batch:2d}: {report.added} samples, {report.completion_tokens} tokens in "
                f"{report.seconds:.1f}s = {report.completion_tokens / report.seconds:.1f} tokens/s, "
                f"{report.samples_per_second:.2f} samples/s"
            )
    base, fast = results["unbatched"][0], results["batched"][0]
    ratio = (fast.completion_tokens / fast.seconds) / (base.completion_tokens / base.seconds)
    same = sum(a == b for a, b in zip(results["unbatched"][1], results["batched"][1], strict=True))
    print(f"batched / unbatched tokens/s: {ratio:.2f}x; identical greedy texts: {same}/{len(problems)}")


if __name__ == "__main__":
    main()
