"""``knowbench train evowiki-cl``: continual learning on EvoWiki's newer snapshot, alone and with RAG.

The small LM (SmolLM2-135M by default) is evaluated on EvoWiki questions (exact match against the latest answer and
against every answer the fact has had, per state: stable, evolved, uncharted), then fine-tuned as a causal LM on the
passages of the build's ``corpus`` config (the newer snapshot: Wikidata fact passages and Wikipedia text), then
evaluated again; both times with and without retrieved passages in the prompt (RAG). Evaluation is the EvoWiki
baseline of :mod:`knowbench.training.evowiki` (same prompts, same exact match), so numbers compare with
``knowbench eval evowiki``. EvoWiki (Tang et al., 2024, arXiv:2412.13582) reports that continual learning and RAG
each struggle with evolved knowledge and help each other; this run measures that at toy scale.

Example:
    $ knowbench train evowiki-cl --data out/evowiki --out runs/evowiki-cl
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowbench.errors import ConfigError
from knowbench.io import RunFolder
from knowbench.loaders.evowiki import STATES
from knowbench.training.common.loop import LoopConfig, train_loop
from knowbench.training.common.runs import seed_everything


@dataclass(frozen=True)
class EvoWikiClConfig:
    """What defines an evowiki-cl run (stored as ``config.json``)."""

    data: str
    model: str = "smollm2"
    epochs: float = 2.0
    lr: float = 5e-5
    batch_size: int = 4
    max_tokens: int = 256
    passages: str = "all"  # "all" corpus passages, or "retrieved": top-k of the evaluated questions
    passages_limit: int = 0  # 0 = every selected passage
    limit_per_state: int = 20  # questions per state evaluated (0 = all)
    rag: tuple[str, ...] = ("none", "bm25")
    k: int = 3
    max_new_tokens: int = 24
    layer_fraction: float = 1.0  # < 1: selective layer tuning
    checkpoint_every: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        if self.epochs <= 0 or self.batch_size < 1 or self.max_tokens < 8:
            raise ConfigError(f"need epochs > 0, batch_size >= 1, max_tokens >= 8; got {self.epochs}, "
                              f"{self.batch_size}, {self.max_tokens}")
        if self.passages not in ("all", "retrieved"):
            raise ConfigError(f"passages must be 'all' or 'retrieved', got passages={self.passages!r}")
        if not 0 < self.layer_fraction <= 1:
            raise ConfigError(f"layer_fraction must be in (0, 1], got layer_fraction={self.layer_fraction}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluated_rows(data: str, limit_per_state: int) -> list[Any]:
    """The questions the EvoWiki evaluation scores with ``limit``: the first ``limit_per_state`` of each state."""
    from knowbench.loaders.evowiki import load_rows

    seen: dict[str, int] = {}
    kept = []
    for row in load_rows(data):
        if not limit_per_state or seen.get(row.state, 0) < limit_per_state:
            seen[row.state] = seen.get(row.state, 0) + 1
            kept.append(row)
    return kept


def passage_texts(data: str, limit: int = 0, ids: set[str] | None = None) -> list[str]:
    """The corpus passages (only ``ids`` when given) as training documents (``title: text``), in id order."""
    from knowbench.loaders.evowiki import load_corpus

    corpus = load_corpus(data)
    texts = [f"{p.title}: {p.text}" for key, p in sorted(corpus.items()) if ids is None or key in ids]
    return texts[:limit] if limit else texts


def selected_passages(config: EvoWikiClConfig) -> list[str]:
    """The training documents of ``config``: every corpus passage, or the union of the top-``k`` passages of the
    evaluated questions under each retriever of ``config.rag`` (a scaled-down run on what the questions need)."""
    if config.passages == "all":
        return passage_texts(config.data, config.passages_limit)
    retrievers = [r for r in config.rag if r != "none"] or ["bm25"]
    ids = {pid for row in evaluated_rows(config.data, config.limit_per_state) for r in retrievers
           for pid in row.retrieved(r)[: config.k]}
    return passage_texts(config.data, config.passages_limit, ids)


def _state_table(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    answers = report.get("answers", {})
    return {group: {k: answers[group][k] for k in ("n", "em_latest", "em_all", "contains_latest", "outdated")}
            for group in ("all", *STATES) if group in answers}


def run_evowiki_cl(
    config: EvoWikiClConfig,
    out: str | os.PathLike[str],
    overwrite: bool = False,
    quiet: bool = False,
    stop_after_steps: int | None = None,
) -> dict[str, Any]:
    """Evaluate, fine-tune on the corpus passages, evaluate again; resumable in ``out``."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from knowbench.io import atomic_dir
    from knowbench.training.common.models import freeze_for_selective, model_folder
    from knowbench.training.evowiki.eval import run_eval

    run = RunFolder(out, config.to_dict(), kind="train-evowiki-cl", overwrite=overwrite)
    base = model_folder(config.model)
    limit = config.limit_per_state or None

    def evaluate(spec: str, tag: str) -> dict[str, Any]:
        results = {}
        for rag in config.rag:
            report = run_eval(config.data, spec, run.path / "eval" / f"{tag}-{rag}", rag=rag, k=config.k,
                              limit=limit, max_new_tokens=config.max_new_tokens, progress=not quiet)
            results[rag] = _state_table(report)
        return results

    before = run.stage("eval-before", lambda: evaluate(f"transformers:{base}", "before"))
    model_dir = run.path / "model"
    if not run.stage_done("train"):
        tokenizer = AutoTokenizer.from_pretrained(base)
        texts = selected_passages(config)
        if not texts:
            raise ConfigError(f"{config.data}: the corpus config holds no passages")
        eos = tokenizer.eos_token_id
        encoded = [[*ids[:config.max_tokens - 1], eos]
                   for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
        steps_per_epoch = math.ceil(len(encoded) / config.batch_size)
        steps = max(1, math.ceil(config.epochs * steps_per_epoch))
        orders: dict[int, np.ndarray] = {}

        def batch(step: int) -> list[dict[str, Any]]:
            epoch, index = divmod(step, steps_per_epoch)
            if epoch not in orders:
                orders[epoch] = np.random.default_rng([config.seed, epoch]).permutation(len(encoded))
            chosen = [encoded[int(i)] for i in orders[epoch][index * config.batch_size:(index + 1) * config.batch_size]]
            width = max(len(ids) for ids in chosen)
            ids = torch.full((len(chosen), width), eos)
            labels = torch.full((len(chosen), width), -100)
            mask = torch.zeros((len(chosen), width), dtype=torch.long)
            for row, sequence in enumerate(chosen):
                ids[row, : len(sequence)] = torch.tensor(sequence)
                labels[row, : len(sequence)] = torch.tensor(sequence)
                mask[row, : len(sequence)] = 1
            return [{"input_ids": ids, "labels": labels, "attention_mask": mask}]

        seed_everything(config.seed)
        model = AutoModelForCausalLM.from_pretrained(base)
        model.config.use_cache = False
        layers = freeze_for_selective(model, config.layer_fraction) if config.layer_fraction < 1 else None
        loop = LoopConfig(steps=steps, lr=config.lr, warmup_steps=max(1, steps // 10),
                          checkpoint_every=config.checkpoint_every)
        result = train_loop(model, batch, lambda m, b: m(**b).loss, loop, run, "train", progress=not quiet,
                            stop_after=stop_after_steps, description="evowiki-cl")
        if not result.completed:
            return run.metrics()
        model.config.use_cache = True
        with atomic_dir(model_dir) as tmp:
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
        run.stage("train", lambda: {"passages": len(encoded), "steps": steps, "layers": layers,
                                    "tokens": sum(map(len, encoded)) * config.epochs,
                                    "first_loss": result.losses[0], "final_loss": result.losses[-1],
                                    "losses": result.losses, "seconds": result.seconds})
        run.remove_checkpoint("train")
    trained = run.stage_result("train")
    after = run.stage("eval-after", lambda: evaluate(f"transformers:{model_dir}", "after"))
    _plot(run.plot_path("em_by_state.png"), before, after)
    summary = {rag: {state: {"before": before[rag].get(state, {}).get("em_latest"),
                             "after": after[rag].get(state, {}).get("em_latest")}
                     for state in ("all", *STATES)} for rag in config.rag}
    return run.update_metrics({"before": before, "after": after, "summary_em_latest": summary,
                               "train": {k: v for k, v in trained.items() if k != "losses"}})


def _plot(path: Path, before: dict[str, Any], after: dict[str, Any]) -> None:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from knowbench.io import atomic_write_bytes

    rags = list(before)
    figure, axes = plt.subplots(1, len(rags), figsize=(4.5 * len(rags), 3.5), sharey=True, squeeze=False)
    for axis, rag in zip(axes[0], rags, strict=True):
        states = [s for s in STATES if s in before[rag]]
        x = np.arange(len(states))
        axis.bar(x - 0.2, [before[rag][s]["em_latest"] for s in states], 0.4, label="before")
        axis.bar(x + 0.2, [after[rag].get(s, {}).get("em_latest", 0) for s in states], 0.4, label="after CL")
        axis.set_xticks(x, states)
        axis.set_title(f"RAG: {rag}")
        axis.legend(fontsize=8)
    axes[0][0].set_ylabel("exact match (latest answer)")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    atomic_write_bytes(path, buffer.getvalue())
