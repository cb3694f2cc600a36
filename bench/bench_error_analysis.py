"""Error analysis that agrees with people: the rule analyzer against human labels, and its categories against BERTopic.

1. MR-GSM8K dev (241 human-labelled wrong solutions): first-error-step exact and within-one agreement by question
   type (original / reversed / program-of-thought), and the share of solutions where a step is named.
2. EIC (900 GPT-4-made wrong GSM8K solutions, nine error types): step exact, type accuracy, macro-F1 over the nine
   types and the confusion matrix (rows: labelled type, columns: predicted).
3. Categories: knowbench's pipeline (steps analyzer -> MiniLM -> PCA -> HDBSCAN) on the EIC solutions, NMI / ARI of
   the categories against the labelled type; BERTopic (default pipeline, same embedding model) on the raw solution text
   as the baseline, in the same run (outliers count as one more label for both).
4. Throughput: the analysis of ``--tile`` samples (MR-GSM8K and EIC tiled) in ``--workers`` processes: samples/s and
   samples/s per core.

Held-out check (against fitting rules to these files): rules are developed on the MR-GSM8K rows with an even line
number and on the first half of every EIC file (``dev``); every figure is also printed for the other half
(``held-out``), which is what unseen labelled samples should be expected to look like.

Labels outside EIC's nine names (a handful of rows carry a near-synonym) count as the type their file is named after.
Run: ``python bench/bench_error_analysis.py [--tile 300000] [--workers 2] [--skip-bertopic] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from multiprocessing import Pool
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("KNOWBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))
MR = DATA / "mwp_solutions" / "mr_gsm8k_wrong_dev.jsonl"
EIC = DATA / "mwp_errors" / "eic_gsm8k"


def mr_half(record: Any) -> str:
    """``dev`` for an MR-GSM8K row on an even line, else ``held-out``."""
    return "dev" if record.record % 2 == 0 else "held-out"


def mr_gsm8k() -> dict[str, Any]:
    from knowbench.datasets_src.mwpes.formats import read_solutions
    from knowbench.training.mwpes.checks import diagnose

    by: dict[str, Counter[str]] = {}
    for record in read_solutions("mr-gsm8k", MR):
        labels = record.label_dict
        d = diagnose(record.question, record.solution, record.reference, record.gold_answer)
        human = labels["first_error_step"]
        kind = labels.get("question_type") or "?"
        for group in (kind, "all", mr_half(record), f"{kind} {mr_half(record)}"):
            c = by.setdefault(group, Counter())
            c["n"] += 1
            c["named"] += d.first_error_step is not None
            c["exact"] += d.first_error_step == human
            c["within_one"] += d.first_error_step is not None and abs(d.first_error_step - human) <= 1
    return {g: {"n": c["n"], "exact": c["exact"] / c["n"], "within_one": c["within_one"] / c["n"],
                "named": c["named"] / c["n"]} for g, c in by.items()}


def eic_records() -> list[tuple[Any, str, str]]:
    """``(record, labelled type, half)`` of every EIC row; ``half`` is ``dev`` for a file's first half."""
    from knowbench.datasets_src.mwpes.formats import read_solutions
    from knowbench.datasets_src.mwpes.formats.eic import EIC_TYPES

    out = []
    for path in sorted(EIC.glob("*.jsonl")):
        rows = list(read_solutions("eic", path))
        for index, record in enumerate(rows):
            label = record.label_dict["error_type"]
            out.append((record, label if label in EIC_TYPES else path.stem,
                        "dev" if index < len(rows) / 2 else "held-out"))
    return out


def eic_by_half(records: list[tuple[Any, str, str]]) -> dict[str, Any]:
    """:func:`eic` over all rows, the dev half and the held-out half."""
    return {group: eic([(r, label) for r, label, half in records if group in ("all", half)])
            for group in ("all", "dev", "held-out")}


def eic(records: list[tuple[Any, str]]) -> dict[str, Any]:
    from sklearn.metrics import f1_score

    from knowbench.datasets_src.mwpes.formats.eic import EIC_TYPES
    from knowbench.training.mwpes.checks import diagnose

    step = 0
    truth, predicted = [], []
    for record, label in records:
        d = diagnose(record.question, record.solution, record.reference, record.gold_answer)
        step += d.first_error_step == record.label_dict["first_error_step"]
        truth.append(label)
        predicted.append(d.error_type)
    names = sorted(EIC_TYPES)
    confusion = {t: dict(Counter(p for tt, p in zip(truth, predicted, strict=True) if tt == t)) for t in names}
    return {"n": len(records), "step_exact": step / len(records),
            "type_accuracy": sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(records),
            "macro_f1": float(f1_score(truth, predicted, labels=names, average="macro", zero_division=0)),
            "confusion": confusion}


def categories(records: list[tuple[Any, str, str]], bertopic_runs: int) -> dict[str, Any]:
    import numpy as np

    from knowbench.training.mwpes.embedders import SentenceTransformerEmbedder
    from knowbench.training.mwpes.pipeline import ErrorClusterPipeline
    from knowbench.training.mwpes.samples import ErrorSample

    samples = [ErrorSample(f"eic/{i}", r.question, r.reference, r.gold_answer, r.solution, "", r.model)
               for i, (r, _, _) in enumerate(records)]
    truth = [label for _, label, _ in records]
    halves = np.array([half for _, _, half in records])
    embedder = SentenceTransformerEmbedder(cache_dir=None)
    started = time.perf_counter()
    result = ErrorClusterPipeline(embedder=embedder, component_options={"reducer": {"n_components": 16}}).fit(samples)
    ours = {"seconds": time.perf_counter() - started, "categories": len(result.taxonomy.categories),
            "outliers": result.outlier_fraction, **_agreement(truth, result.labels, halves),
            "names": [c.name for c in result.taxonomy.categories[:12]]}
    kinds = [d["error_type"] for d in result.details]  # the predicted types themselves, as if they were categories
    out = {"knowbench": ours, "predicted types": {"seconds": 0.0, "categories": len(set(kinds)), "outliers": 0.0,
                                                  **_agreement(truth, np.asarray(kinds), halves)}}
    if bertopic_runs:
        from bertopic import BERTopic

        texts = [r.solution for r, _, _ in records]
        vectors = embedder.model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
        runs = []
        for _ in range(bertopic_runs):  # BERTopic's UMAP is not seeded: its figures vary from run to run
            started = time.perf_counter()
            topics, _ = BERTopic(embedding_model=embedder.model).fit_transform(texts, np.asarray(vectors))
            runs.append({"seconds": time.perf_counter() - started, "categories": len(set(topics) - {-1}),
                         "outliers": float(np.mean(np.asarray(topics) < 0)),
                         **_agreement(truth, np.asarray(topics), halves)})
        out["bertopic"] = {key: float(np.mean([r[key] for r in runs])) for key in runs[0]}
        out["bertopic"]["runs"] = len(runs)
        out["bertopic"]["nmi_range"] = [min(r["nmi"] for r in runs), max(r["nmi"] for r in runs)]
    return out


def _agreement(truth: list[str], labels: Any, halves: Any) -> dict[str, float]:
    """NMI / ARI of ``labels`` against the types, over all rows and each half (one clustering of all rows)."""
    from sklearn.metrics import (
        adjusted_rand_score,
        homogeneity_completeness_v_measure,
        normalized_mutual_info_score,
    )

    homogeneity, completeness, _ = homogeneity_completeness_v_measure(truth, labels)
    out = {"nmi": normalized_mutual_info_score(truth, labels), "ari": adjusted_rand_score(truth, labels),
           "homogeneity": homogeneity, "completeness": completeness}
    for half in ("dev", "held-out"):
        keep = [i for i, h in enumerate(halves) if h == half]
        out[f"nmi_{half}"] = normalized_mutual_info_score([truth[i] for i in keep], [labels[i] for i in keep])
    return out


def _analyse(chunk: list[tuple[str, str, str, str]]) -> int:
    from knowbench.training.mwpes.checks import diagnose

    for question, solution, reference, gold in chunk:
        diagnose(question, solution, reference, gold)
    return len(chunk)


def throughput(records: list[tuple[Any, str, str]], tile: int, workers: int) -> dict[str, Any]:
    from knowbench.datasets_src.mwpes.formats import read_solutions

    base = [(r.question, r.solution, r.reference, r.gold_answer) for r, _, _ in records]
    base += [(r.question, r.solution, r.reference, r.gold_answer) for r in read_solutions("mr-gsm8k", MR)]
    items = [base[i % len(base)] for i in range(tile)]
    chunks = [items[i:i + 2000] for i in range(0, len(items), 2000)]
    started = time.perf_counter()
    with Pool(workers) as pool:
        done = sum(pool.imap_unordered(_analyse, chunks))
    seconds = time.perf_counter() - started
    return {"samples": done, "workers": workers, "seconds": seconds, "samples_per_s": done / seconds,
            "samples_per_s_per_core": done / seconds / workers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tile", type=int, default=300_000, help="samples for the throughput run (0: skip)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-bertopic", action="store_true")
    parser.add_argument("--bertopic-runs", type=int, default=5, help="BERTopic fits to average (it is not seeded)")
    parser.add_argument("--skip-categories", action="store_true")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()
    figures: dict[str, Any] = {}
    figures["mr_gsm8k"] = mr = mr_gsm8k()
    print("MR-GSM8K dev: first wrong step vs the human label")
    for group, f in sorted(mr.items(), key=lambda kv: (kv[0] != "all", " " in kv[0], kv[0])):
        print(f"  {group:18s} n={f['n']:4d}  exact {f['exact']:.3f}  within-one {f['within_one']:.3f}  "
              f"step named {f['named']:.3f}")
    records = eic_records()
    figures["eic"] = halves = eic_by_half(records)
    for group, e in halves.items():
        print(f"EIC {group:8s}: n={e['n']}  step exact {e['step_exact']:.3f}  type accuracy "
              f"{e['type_accuracy']:.3f}  macro-F1 {e['macro_f1']:.3f}")
    e = halves["all"]
    predicted = sorted({p for row in e["confusion"].values() for p in row})
    print("  confusion (rows: labelled type; columns: " + ", ".join(f"{i}={p}" for i, p in enumerate(predicted)) + ")")
    for label, row in e["confusion"].items():
        print(f"  {label[:38]:38s} " + " ".join(f"{row.get(p, 0):4d}" for p in predicted))
    if not args.skip_categories:
        figures["categories"] = c = categories(records, 0 if args.skip_bertopic else args.bertopic_runs)
        for name, f in c.items():
            runs = f" (mean of {f['runs']} runs, NMI {f['nmi_range'][0]:.3f}-{f['nmi_range'][1]:.3f})" if "runs" in f else ""
            print(f"categories ({name}){runs}: {f['categories']:.0f} categories, outliers {f['outliers']:.3f}, "
                  f"NMI vs type {f['nmi']:.3f} (dev {f['nmi_dev']:.3f}, held-out {f['nmi_held-out']:.3f}), "
                  f"ARI {f['ari']:.3f}, homogeneity {f['homogeneity']:.3f}, completeness {f['completeness']:.3f}, "
                  f"{f['seconds']:.1f} s")
        if "bertopic" in c and c["bertopic"]["nmi"] > 0:
            print(f"  NMI ratio knowbench / BERTopic: {c['knowbench']['nmi'] / c['bertopic']['nmi']:.2f}x")
        print("  first names: " + "; ".join(c["knowbench"]["names"]))
    if args.tile:
        figures["throughput"] = t = throughput(records, args.tile, args.workers)
        print(f"throughput: {t['samples']:,} samples in {t['seconds']:.1f} s on {t['workers']} processes = "
              f"{t['samples_per_s']:.0f} samples/s ({t['samples_per_s_per_core']:.0f} per core)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
