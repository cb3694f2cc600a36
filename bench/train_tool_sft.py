"""Token-weighted vs plain tool-use SFT of SmolLM2-135M on ToolHop, and selective (25% of layers) vs full tuning:
accuracy on held-out rows and the speed ratio of a training step, measured in the same run.

    python bench/train_tool_sft.py --source ../shared/data/toolhop/toolhop_sample70.json --out runs/tool-sft \
        [--train-rows 12 --eval-rows 10 --harness-rows 0]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="../shared/data/toolhop/toolhop_sample70.json")
    parser.add_argument("--out", default="runs/tool-sft")
    parser.add_argument("--train-rows", type=int, default=12)
    parser.add_argument("--eval-rows", type=int, default=10)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--harness-rows", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    from knowbench.builders import get_builder
    from knowbench.builders.writer import build_to_folder
    from knowbench.cli import main as cli

    data = Path(args.out).with_name(Path(args.out).name + "-data")
    if not data.exists():
        build_to_folder(get_builder("toolhop", source=args.source), data)
    started = time.perf_counter()
    code = cli(["train", "tool-sft", "--data", str(data), "--out", args.out, "--train-rows", str(args.train_rows),
                "--eval-rows", str(args.eval_rows), "--lr", str(args.lr), "--harness-rows", str(args.harness_rows),
                "--threads", str(args.threads)])
    if code:
        return code
    metrics = json.loads((Path(args.out) / "metrics.json").read_text())
    full, selective = metrics.get("weighted", {}), metrics.get("selective", {})
    if full.get("seconds_per_step") and selective.get("seconds_per_step"):
        print(f"selective / full seconds per step: {selective['seconds_per_step'] / full['seconds_per_step']:.2f} "
              f"(full {full['seconds_per_step']:.1f} s, selective {selective['seconds_per_step']:.1f} s); "
              f"trainable parameters {selective['trainable_parameters']:,} vs {full['trainable_parameters']:,}")
    print(f"wall time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
