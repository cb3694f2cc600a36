"""``knowbench train smi-mini``: the SMI paper's predict-before-training experiment in miniature, on CPU.

Stages (each stored in the run folder, so a killed run resumes where it stopped):

1. ``corpus``: Wikipedia passages with ParaRel facts inserted at long-tailed document frequencies
   (:mod:`~knowbench.training.triples.smi_corpus`) -> ``corpus.jsonl``, ``facts.jsonl``;
2. ``counts``: N, N_s, N_o, N_so per fact over that corpus *before any training*, by the counter of
   ``knowbench count`` -> ``counts/`` (``counts.jsonl``, ``count_meta.json``: ``knowbench smi fit --counts
   RUN/counts`` reads it);
3. ``tokenizer``: byte-level BPE trained on the corpus;
4. ``train-<size>``: a Llama of each size trained from scratch (seeded, checkpointed, resumable);
5. ``retention-<size>``: closed-book retention with the 20 paraphrased templates of each relation, ``samples``
   continuations each (temperature 0.7, 32 new tokens as in the paper; correct when the object is contained);
6. ``fit``: accuracy on SMI (P = log2 of the parameter count), MI and co-occurrence per size: R^2, MSE, plots,
   by the metric and fit of ``knowbench smi fit`` (:func:`~knowbench.training.triples.reproduce.evaluate`).

Example:
    $ knowbench train smi-mini --out runs/smi-mini
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowbench.datasets_src.triples import load_templates
from knowbench.datasets_src.triples.runner import CountTable, count_corpus, read_counts, write_counts
from knowbench.errors import ConfigError
from knowbench.io import RunFolder, RunLog, atomic_write_jsonl, read_jsonl
from knowbench.training.common import tiny_lm
from knowbench.training.common.loop import LoopConfig, train_loop
from knowbench.training.common.runs import plot_curves, seed_everything
from knowbench.training.triples import smi_corpus
from knowbench.training.triples.metric import plot_fits, size_exponent
from knowbench.training.triples.reproduce import FactTable, evaluate


@dataclass(frozen=True)
class SmiMiniConfig:
    """Everything that defines an smi-mini run (stored as the run folder's ``config.json``)."""

    wikipedia: tuple[str, ...]
    pararel_dir: str
    templates: str
    sizes: tuple[str, ...] = ("0.5m", "1.5m", "5m")
    wiki_words: int = 60_000
    doc_words: int = 100
    facts_per_relation: int = 20
    max_fact_docs: int = 100
    max_apart_docs: int = 30
    max_mention_docs: int = 50
    vocab_size: int = 4096
    block: int = 128
    batch_size: int = 16
    epochs: float = 4.0
    lr: float = 2e-3
    samples: int = 2
    temperature: float = 0.7
    max_new_tokens: int = 32
    templates_per_relation: int = 20
    seed: int = 0

    def __post_init__(self) -> None:
        for size in self.sizes:
            tiny_lm.MODEL_SIZES.get(size)
        if not self.sizes:
            raise ConfigError("sizes must name at least one model size")
        if self.epochs <= 0:
            raise ConfigError(f"epochs must be > 0, got epochs={self.epochs}")
        if self.samples < 1 or not 1 <= self.templates_per_relation <= 20:
            raise ConfigError(f"need samples >= 1 and 1 <= templates_per_relation <= 20, got "
                              f"samples={self.samples}, templates_per_relation={self.templates_per_relation}")
        if self.temperature == 0 and self.samples != 1:
            raise ConfigError(f"greedy decoding (temperature=0) needs samples=1, got samples={self.samples}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_paths(data_root: str | os.PathLike[str]) -> dict[str, Any]:
    """The real sample files under a shared-data root (``../shared/data``)."""
    root = Path(data_root)
    return {
        "wikipedia": (str(root / "wiki/wikipedia/gensim_enwiki-2016-shortened.xml.bz2"),),
        "pararel_dir": str(root / "smi/pararel/data/trex_lms_vocab"),
        "templates": str(root / "smi/pararel_multi_templates.json"),
    }


def _say(quiet: bool, message: str) -> None:
    if not quiet:
        from rich.console import Console

        Console(stderr=True).print(message)


def run_smi_mini(
    config: SmiMiniConfig,
    out: str | os.PathLike[str],
    overwrite: bool = False,
    quiet: bool = False,
    stop_after_steps: int | None = None,
) -> dict[str, Any]:
    """Run (or resume) the whole experiment in ``out``; returns ``metrics.json``'s content.

    ``stop_after_steps`` stops the first unfinished training stage after that many steps (tests of resume).
    """
    run = RunFolder(out, config.to_dict(), kind="train-smi-mini", overwrite=overwrite)
    templates = load_templates(config.templates)

    def build_corpus() -> dict[str, Any]:
        documents = smi_corpus.wikipedia_documents(config.wikipedia, config.wiki_words, config.doc_words)
        facts = smi_corpus.select_facts(config.pararel_dir, templates, config.facts_per_relation, config.seed)
        docs, facts = smi_corpus.build_corpus(
            documents, facts, templates, config.seed, config.max_fact_docs, config.max_apart_docs,
            config.max_mention_docs,
        )
        atomic_write_jsonl(run.path / "corpus.jsonl", [{"id": i, "text": d} for i, d in enumerate(docs)])
        atomic_write_jsonl(run.path / "facts.jsonl", [f.to_dict() for f in facts])
        return {"documents": len(docs), "wiki_documents": len(documents), "facts": len(facts),
                "words": sum(len(d.split()) for d in docs)}

    corpus_info = run.stage("corpus", build_corpus)
    _say(quiet, f"corpus: {corpus_info}")
    facts = [smi_corpus.Fact(**r) for r in read_jsonl(run.path / "facts.jsonl")]

    def documents() -> list[str]:
        return [r["text"] for r in read_jsonl(run.path / "corpus.jsonl")]

    def count() -> dict[str, Any]:
        # the same counter and output as `knowbench count` (`knowbench smi fit --counts RUN/counts` reads it)
        result = count_corpus([f.triple() for f in facts], [run.path / "corpus.jsonl"])
        write_counts(run.path / "counts", result)
        return {"facts": result.index.n_facts, "with_cooccurrence": int((result.raw.n_so > 0).sum()),
                "max_n_so": int(result.raw.n_so.max())}

    run.stage("counts", count)
    # runs made before counts had their own folder hold counts.jsonl in the run folder
    counts = read_counts(run.path / "counts" if (run.path / "counts").is_dir() else run.path)

    def tokenizer_stage() -> dict[str, Any]:
        tokenizer = tiny_lm.train_tokenizer(documents(), config.vocab_size)
        from knowbench.io import atomic_dir

        with atomic_dir(run.path / "tokenizer") as tmp:
            tokenizer.save_pretrained(tmp)
        return {"vocab_size": tokenizer.vocab_size}

    run.stage("tokenizer", tokenizer_stage)
    tokenizer = tiny_lm.load_tokenizer(run.path / "tokenizer")
    blocks = None
    metrics: dict[str, Any] = {"corpus": corpus_info, "sizes": {}}
    for size_index, size in enumerate(config.sizes):
        seed = config.seed + 1000 * size_index
        model = tiny_lm.build_model(size, len(tokenizer), seed, max_positions=max(256, config.block))
        n_params = tiny_lm.parameter_count(model)
        model_dir = run.path / "models" / size
        if not run.stage_done(f"train-{size}"):
            if blocks is None:
                blocks = tiny_lm.pack_blocks(documents(), tokenizer, config.block)
            batches = tiny_lm.BlockBatches(blocks, config.batch_size, config.seed)
            steps = max(1, math.ceil(config.epochs * batches.steps_per_epoch))
            loop = LoopConfig(steps=steps, lr=config.lr, warmup_steps=max(1, steps // 20), weight_decay=0.01,
                              checkpoint_every=max(1, min(100, steps // 5)))
            seed_everything(seed)
            result = train_loop(model, batches, tiny_lm.lm_loss, loop, run, f"train-{size}", progress=not quiet,
                                stop_after=stop_after_steps, description=f"train {size} ({n_params / 1e6:.2f}M)")
            if not result.completed:
                return run.metrics()
            tiny_lm.save_model(model, tokenizer, model_dir)
            run.stage(f"train-{size}", lambda r=result, s=steps, n=n_params: {
                "params": n, "steps": s, "tokens": s * config.batch_size * config.block,
                "first_loss": r.losses[0], "final_loss": sum(r.losses[-10:]) / len(r.losses[-10:]),
                "seconds": r.seconds, "losses": r.losses})
            run.remove_checkpoint(f"train-{size}")
        trained = run.stage_result(f"train-{size}")
        if not run.stage_done(f"retention-{size}"):
            from transformers import LlamaForCausalLM

            model = LlamaForCausalLM.from_pretrained(model_dir)
            accuracy = measure_retention(model, tokenizer, facts, templates, config,
                                         RunLog(run.path / "retention" / f"{size}.jsonl"), quiet)
            run.stage(f"retention-{size}", lambda a=accuracy: a)
        accuracy = run.stage_result(f"retention-{size}")
        metrics["sizes"][size] = _fit_size(run, size, counts, accuracy, trained)
    plot_curves(run.plot_path("loss.png"),
                {s: (list(range(1, len(run.stage_result(f"train-{s}")["losses"]) + 1)),
                     run.stage_result(f"train-{s}")["losses"]) for s in config.sizes},
                "step", "training loss", "smi-mini: training loss")
    return run.update_metrics(metrics)


def measure_retention(
    model: Any,
    tokenizer: Any,
    facts: list[smi_corpus.Fact],
    templates: Mapping[str, Sequence[str]],
    config: SmiMiniConfig,
    log: RunLog,
    quiet: bool = True,
) -> dict[str, float]:
    """Accuracy per fact id: share of (template x sample) continuations that contain the object (resumable)."""
    from knowbench.progress import track

    done = log.done_ids()
    for fact in track([f for f in facts if f.id not in done], "retention", disable=quiet):
        prompts = [t.replace("[S]", fact.subject) for t in templates[fact.relation][: config.templates_per_relation]]
        texts = tiny_lm.sample_continuations(model, tokenizer, prompts, config.samples, config.temperature,
                                             config.max_new_tokens, seed=config.seed, batch_size=len(prompts))
        hits = sum(fact.object in text for group in texts for text in group)
        log.append({"id": fact.id, "correct": hits, "total": len(prompts) * config.samples})
    return {r["id"]: r["correct"] / r["total"] for r in log.records()}


def _fit_size(run: RunFolder, size: str, counts: CountTable, accuracy: dict[str, float], trained: dict[str, Any]) -> dict[str, Any]:
    """SMI (P = log2 of the parameter count), MI and co-occurrence fits of this size's retention, and their plot."""
    n_params = trained["params"]
    table = FactTable(*(c.astype(float) for c in (counts.n_docs, counts.n_s, counts.n_o, counts.n_so)),
                      accuracy=np.asarray([accuracy[f.fact_id] for f in counts.facts], np.float64))
    # in `knowbench eval cbqa`'s accuracy.jsonl format, so `knowbench smi fit --counts RUN/counts` can refit it
    atomic_write_jsonl(run.path / "accuracy" / f"{size}.jsonl",
                       [{"subject": f.subject, "relation": f.relation, "object": f.object, "fact_id": f.fact_id,
                         "accuracy": float(a)} for f, a in zip(counts.facts, table.accuracy, strict=True)])
    result = evaluate(table, size_exponent(n_params), strict=False)
    dropped = table.accuracy[~result.kept]
    plot_fits(run.plot_path(f"fit-{size}.png"), result.fits, title=f"smi-mini {size} ({n_params / 1e6:.2f}M parameters)")
    fits = {name: fit.to_dict(points=True) for name, fit in result.fits.items()}
    return {
        "params": n_params,
        "final_loss": trained["final_loss"],
        "train_seconds": trained["seconds"],
        "mean_accuracy": float(table.accuracy.mean()),
        "facts_fitted": result.facts,
        "facts_dropped_mi_le_0": int(dropped.size),
        "mean_accuracy_dropped": float(dropped.mean()) if dropped.size else None,
        **{f"r2_{name}": fit["r2"] for name, fit in fits.items()},
        **{f"mse_{name}": fit["mse"] for name, fit in fits.items()},
        "fits": fits,
    }
