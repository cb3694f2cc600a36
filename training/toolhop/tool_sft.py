"""``knowbench train tool-sft``: token-weighted tool-use SFT of a small LM on ToolHop, with selective layer tuning.

Variants (each trained from the same base model, same examples, same seed):

* ``plain``: full fine-tuning, every target token weighs 1;
* ``weighted``: full fine-tuning with TL-Training's key-token weights (arXiv:2412.15495, see
  :mod:`~knowbench.training.toolhop.tool_sft_data`);
* ``selective``: the weighted loss, but only a sparse, uniformly spread ``layer_fraction`` (25%) of the decoder
  layers is updated, everything else frozen (the selective layer tuning of "visual region" / sparse-layer papers).

Evaluation on held-out rows, teacher-forced through the gold conversation (one forward pass per row): a hop's
*tool selection* is right when every token of the gold name is the arg-max given the gold prefix (greedy decoding,
once it has opened ``<tool_call>{"name": "``, writes the gold name), its *arguments* are right when every token after
the name through ``</tool_call>`` is the arg-max, the *whole call* when all its tokens are. Because greedy decoding
emits arg-max tokens, these are exact-match rates of greedy generation given the gold history. Optionally (``harness_rows``) the ToolHop harness
also runs the Mandatory scenario end to end with real tools on held-out rows.

Example:
    $ knowbench train tool-sft --data out/toolhop --out runs/tool-sft
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowbench.errors import ConfigError
from knowbench.io import RunFolder, atomic_write_jsonl, read_jsonl
from knowbench.training.common.loop import LoopConfig, train_loop
from knowbench.training.common.models import freeze_for_selective, model_folder
from knowbench.training.common.runs import seed_everything
from knowbench.training.toolhop.tool_sft_data import (
    SftExample,
    build_example,
    encode_example,
    gold_calls,
    template_renderer,
    weighted_loss,
)

VARIANTS = ("plain", "weighted", "selective")


@dataclass(frozen=True)
class ToolSftConfig:
    """What defines a tool-sft run (stored as ``config.json``)."""

    data: str
    model: str = "smollm2"
    rows_limit: int = 0  # 0 = every row of the dataset
    variants: tuple[str, ...] = VARIANTS
    eval_fraction: float = 0.3
    train_rows: int = 0  # 0 = all training rows
    eval_rows: int = 0
    epochs: float = 1.0
    lr: float = 5e-5
    schema: str = "compact"
    max_tokens: int = 1024
    max_tool_chars: int = 300
    layer_fraction: float = 0.25
    checkpoint_every: int = 8
    harness_rows: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = set(self.variants) - set(VARIANTS)
        if unknown:
            raise ConfigError(f"unknown variants {sorted(unknown)}; known: {', '.join(VARIANTS)}")
        if not 0 < self.eval_fraction < 1 or not 0 < self.layer_fraction <= 1:
            raise ConfigError(f"eval_fraction must be in (0, 1) and layer_fraction in (0, 1], got "
                              f"{self.eval_fraction}, {self.layer_fraction}")
        if self.schema not in ("full", "compact"):
            raise ConfigError(f"schema must be 'full' or 'compact', got schema={self.schema!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def split_rows(row_ids: list[int], eval_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Seeded split of row ids into (train, held-out)."""
    order = np.random.default_rng(seed).permutation(sorted(row_ids))
    n_eval = max(1, round(eval_fraction * len(order)))
    return sorted(int(i) for i in order[n_eval:]), sorted(int(i) for i in order[:n_eval])


def evaluate_examples(model: Any, tokenizer: Any, examples: list[SftExample], max_tokens: int) -> dict[str, Any]:
    """Teacher-forced greedy exact match per hop (see the module doc), given the gold history and, for the name and
    the arguments, the gold tokens before them: ``tool_selection_accuracy`` (every name token arg-max),
    ``argument_accuracy`` (every token after the name through ``</tool_call>``), ``call_start_accuracy`` (the model
    opens the call, ``<tool_call>{"name": "``), ``call_accuracy`` (all of it); plus token-level name accuracy, final
    answers, and the mean loss of the target tokens."""
    import torch

    totals = {"hops": 0, "selected": 0, "arguments": 0, "started": 0, "called": 0, "name_tokens": 0,
              "name_right": 0, "answers": 0, "answered": 0}
    losses: list[float] = []
    per_row = []
    model.eval()
    for example in examples:
        encoded = tokenizer(example.text, add_special_tokens=False, return_offsets_mapping=True)
        ids, offsets = encoded["input_ids"], encoded["offset_mapping"]
        cut = max(0, len(ids) - max_tokens)
        ids, offsets = ids[cut:], offsets[cut:]
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids])).logits[0]
        predicted = logits.argmax(-1).tolist()
        # token i is predicted at position i - 1
        right = [False] + [predicted[i - 1] == ids[i] for i in range(1, len(ids))]

        def overlapping(lo: int, hi: int, offsets: list[tuple[int, int]] = offsets) -> list[int]:
            return [i for i, (s, e) in enumerate(offsets) if s < hi and max(e, s + 1) > lo and i > 0]

        row: dict[str, Any] = {"row_id": example.row_id, "hops": []}
        for (lo, hi), call in zip(example.targets, example.calls, strict=False):
            if cut and lo < offsets[0][0]:
                continue
            span = overlapping(lo, hi)
            names = overlapping(call["start"], call["start"] + len(call["name"]) + 1)  # with the closing quote
            if not span or not names:
                continue
            opening = [i for i in span if i < names[0]]
            rest = [i for i in span if i > names[-1]]
            hop = {"hop": call["hop"], "selected": all(right[i] for i in names),
                   "arguments": all(right[i] for i in rest), "started": all(right[i] for i in opening),
                   "called": all(right[i] for i in span)}
            totals["hops"] += 1
            for key in ("selected", "arguments", "started", "called"):
                totals[key] += hop[key]
            totals["name_tokens"] += len(names)
            totals["name_right"] += sum(right[i] for i in names)
            row["hops"].append(hop)
        if len(example.targets) > len(example.calls):
            span = overlapping(*example.targets[-1])
            totals["answers"] += 1
            totals["answered"] += bool(span) and all(right[i] for i in span)
        target = [i for lo, hi in example.targets for i in overlapping(lo, hi)]
        if target:
            log_probs = torch.log_softmax(logits.float(), -1)
            losses.append(float(-sum(log_probs[i - 1, ids[i]] for i in target) / len(target)))
        per_row.append(row)

    def rate(key: str, of: str) -> float | None:
        return totals[key] / totals[of] if totals[of] else None

    return {
        "rows": len(examples),
        "hops": totals["hops"],
        "tool_selection_accuracy": rate("selected", "hops"),
        "argument_accuracy": rate("arguments", "hops"),
        "call_start_accuracy": rate("started", "hops"),
        "call_accuracy": rate("called", "hops"),
        "name_token_accuracy": rate("name_right", "name_tokens"),
        "final_answers": totals["answers"],
        "final_answer_accuracy": rate("answered", "answers"),
        "target_loss": sum(losses) / len(losses) if losses else None,
        "per_row": per_row,
    }


def run_tool_sft(
    config: ToolSftConfig,
    out: str | os.PathLike[str],
    overwrite: bool = False,
    quiet: bool = False,
    stop_after_steps: int | None = None,
) -> dict[str, Any]:
    """Build examples, evaluate the base model, train and evaluate every variant; resumable in ``out``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from knowbench.loaders.toolhop import load_rows
    from knowbench.training.toolhop.prompts import SYSTEM_PROMPTS

    run = RunFolder(out, config.to_dict(), kind="train-tool-sft", overwrite=overwrite)
    folder = model_folder(config.model)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    render = template_renderer(tokenizer, config.schema)
    loaded = load_rows(config.data)
    rows = {row.id: row for row in (loaded[: config.rows_limit] if config.rows_limit else loaded)}

    def build() -> dict[str, Any]:
        from knowbench.sandbox import ToolSandbox

        examples = []
        with ToolSandbox(workers=2) as sandbox:
            for row in rows.values():
                calls = gold_calls(row, sandbox, config.max_tool_chars)
                example = build_example(row, calls, render, tokenizer.eos_token, SYSTEM_PROMPTS["mandatory"])
                if example is not None:
                    examples.append(example.to_dict())
        atomic_write_jsonl(run.path / "examples.jsonl", examples)
        train, held_out = split_rows([e["row_id"] for e in examples], config.eval_fraction, config.seed)
        if config.train_rows:
            train = train[: config.train_rows]
        if config.eval_rows:
            held_out = held_out[: config.eval_rows]
        return {"rows": len(rows), "rows_with_gold_calls": len(examples),
                "gold_calls": sum(len(e["calls"]) for e in examples), "train": train, "held_out": held_out}

    data = run.stage("data", build)
    examples = {r["row_id"]: SftExample(r["row_id"], r["text"], [tuple(t) for t in r["targets"]], r["calls"],
                                        r["hops_total"]) for r in read_jsonl(run.path / "examples.jsonl")}
    train = [examples[i] for i in data["train"]]
    held_out = [examples[i] for i in data["held_out"]]
    metrics: dict[str, Any] = {"data": {k: v for k, v in data.items() if k not in ("train", "held_out")},
                               "train_rows": len(train), "held_out_rows": len(held_out)}

    def load_model() -> Any:
        model = AutoModelForCausalLM.from_pretrained(folder)
        model.config.use_cache = False
        return model

    metrics["base"] = run.stage("eval-base", lambda: evaluate_examples(load_model(), tokenizer, held_out,
                                                                     config.max_tokens))
    for variant in config.variants:
        if run.stage_done(f"eval-{variant}"):
            metrics[variant] = run.stage_result(f"eval-{variant}")
            continue
        seed_everything(config.seed)
        model = load_model()
        layers = freeze_for_selective(model, config.layer_fraction) if variant == "selective" else None
        weighted = variant in ("weighted", "selective")
        encoded = [encode_example(e, tokenizer, weighted, config.max_tokens) for e in train]
        order_rng = np.random.default_rng(config.seed)
        steps = max(1, round(config.epochs * len(encoded)))
        orders = [order_rng.permutation(len(encoded)) for _ in range(-(-steps // len(encoded)))]

        def batch(step: int, encoded: list[dict[str, Any]] = encoded, orders: list[Any] = orders) -> list[Any]:
            epoch, index = divmod(step, len(encoded))
            return [encoded[int(orders[epoch][index])]]

        loop = LoopConfig(steps=steps, lr=config.lr, warmup_steps=max(1, steps // 10), min_lr_ratio=0.1,
                          weight_decay=0.0, checkpoint_every=config.checkpoint_every)
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        began = time.perf_counter()
        result = train_loop(model, batch, weighted_loss, loop, run, f"train-{variant}", progress=not quiet,
                            stop_after=stop_after_steps, description=f"tool-sft {variant}")
        if not result.completed:
            return run.metrics()
        evaluation = evaluate_examples(model, tokenizer, held_out, config.max_tokens)
        evaluation.update({
            "train_seconds": result.seconds, "seconds_per_step": result.seconds / steps, "steps": steps,
            "trainable_parameters": trainable, "layers": layers, "first_loss": result.losses[0],
            "final_loss": sum(result.losses[-5:]) / len(result.losses[-5:]), "losses": result.losses,
            "key_weight_mean": float(np.mean([e["key_weight"] for e in encoded])),
            "wall_seconds_this_call": time.perf_counter() - began,
        })
        if config.harness_rows:
            evaluation["harness"] = _harness_eval(model, folder, render, [rows[i] for i in data["held_out"]],
                                                  config, run.path / f"harness-{variant}", quiet)
        metrics[variant] = run.stage(f"eval-{variant}", lambda e=evaluation: e)
        run.remove_checkpoint(f"train-{variant}")
    summary = {name: {k: metrics[name].get(k) for k in ("tool_selection_accuracy", "argument_accuracy",
                                                         "call_accuracy", "final_answer_accuracy", "target_loss",
                                                         "seconds_per_step", "trainable_parameters")}
               for name in ("base", *config.variants) if name in metrics}
    metrics["summary"] = summary
    return run.update_metrics(metrics)


def _harness_eval(model: Any, folder: Path, render: Any, rows: list[Any], config: ToolSftConfig, out: Path,
                  quiet: bool) -> dict[str, Any]:
    """Mandatory-scenario ToolHop run of the trained model on the first ``harness_rows`` held-out rows."""
    from knowbench.backends.transformers_backend import TransformersBackend
    from knowbench.sandbox import ToolSandbox
    from knowbench.training.toolhop.harness import EvalSettings, evaluate
    from knowbench.training.toolhop.report import summarise

    backend = TransformersBackend(str(folder), batch_size=4)
    backend.model = model  # the fine-tuned weights, rendered with the same prompt as in training
    backend.model.config.use_cache = True
    backend.render_chat = render  # type: ignore[method-assign]
    settings = EvalSettings("mandatory", max_new_tokens=128, max_tool_chars=config.max_tool_chars, batch_size=4)
    with ToolSandbox(workers=2) as sandbox:
        records = evaluate(rows[: config.harness_rows], backend, settings, out, sandbox=sandbox, progress=not quiet)
    report = summarise(records, judge="typed")
    return {key: report.get(key) for key in report if not isinstance(report.get(key), list | dict)} | {
        "rows": len(records)}
