"""Token-weighted vs plain tool-use SFT of SmolLM2-135M on ToolHop, and selective (25% of layers) vs full tuning:
accuracy on held-out rows and the speed ratio of a training step, measured in the same run.

    python bench/train_tool_sft.py --source ../shared/data/toolhop/toolhop_sample70.json --out runs/tool-sft \
        [--train-rows 12 --eval-rows 10 --harness-rows 0]
    python bench/train_tool_sft.py --speed-only [--steps 3]   # full vs selective step time, same process
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
    parser.add_argument("--speed-only", action="store_true", help="only time full vs selective training steps")
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    from knowbench.builders import get_builder
    from knowbench.builders.writer import build_to_folder
    from knowbench.cli import main as cli

    data = Path(args.out).with_name(Path(args.out).name + "-data")
    if not data.exists():
        build_to_folder(get_builder("toolhop", source=args.source), data)
    if args.speed_only:
        return speed(data, args.steps)
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


def speed(data: Path, steps: int) -> int:
    """Seconds per optimiser step of full and of selective (25% of layers) tuning on the same real example."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from knowbench.loaders.toolhop import load_rows
    from knowbench.sandbox import ToolSandbox
    from knowbench.training.common.models import freeze_for_selective, model_folder
    from knowbench.training.toolhop import tool_sft_data as sft
    from knowbench.training.toolhop.prompts import SYSTEM_PROMPTS

    folder = model_folder("smollm2")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    render = sft.template_renderer(tokenizer, "compact")
    with ToolSandbox(workers=1) as sandbox:
        for row in load_rows(data):
            example = sft.build_example(row, sft.gold_calls(row, sandbox, 300), render, tokenizer.eos_token,
                                        SYSTEM_PROMPTS["mandatory"])
            if example is not None:
                break
    batch = sft.encode_example(example, tokenizer, weighted=True, max_tokens=1024)
    timings = {}
    for name in ("full", "selective"):
        model = AutoModelForCausalLM.from_pretrained(folder)
        model.config.use_cache = False
        if name == "selective":
            freeze_for_selective(model, 0.25)
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
        seconds = []
        for _ in range(steps + 1):  # the first step warms up
            began = time.perf_counter()
            sft.weighted_loss(model, batch).backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            seconds.append(time.perf_counter() - began)
        timings[name] = sorted(seconds[1:])[len(seconds[1:]) // 2]
        print(f"{name}: median {timings[name]:.2f} s/step over {steps} steps of {batch['input_ids'].shape[1]} tokens")
    print(f"selective / full: {timings['selective'] / timings['full']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
