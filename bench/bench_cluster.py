"""Error clustering benchmark: knowbench's pipeline against BERTopic's default pipeline, in the same run.

Both get the same texts and the same precomputed all-MiniLM-L6-v2 embeddings (BERTopic also gets the same
SentenceTransformer object as its ``embedding_model``), so the timings cover reduction, clustering and labelling.

1. MATH: the 5,000 MATH test problems, clustered and compared with their subject (``type``): ARI / NMI (outliers
   count as one more label), outlier fraction, wall time, and stability: ARI between two seeds and between two
   random 90% subsamples (on the problems both contain).
2. GSM8K errors: the 3,275 real wrong GPT-3 solutions (rule analyses), timing and outliers for both.
3. ``--scale N``: N cached embeddings (the real ones above, tiled with small Gaussian noise) clustered and labelled
   by knowbench's pipeline in a child process; prints wall time and peak memory (target: 300,000 in <= 10 minutes
   on 2 cores within 4 GB).

Run: ``python bench/bench_cluster.py [--cache DIR] [--skip-bertopic] [--scale 300000]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("KNOWBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))


def _math(limit: int | None = None) -> tuple[list[str], list[str]]:
    from knowbench.io import read_jsonl

    rows = list(read_jsonl(DATA / "mwp" / "math_test.jsonl"))[:limit]
    return [r["problem"] for r in rows], [r["type"] for r in rows]


def _samples(texts: list[str], prefix: str) -> list:
    from knowbench.training.mwpes.samples import ErrorSample

    return [ErrorSample(f"{prefix}/{i}", t, "", "", t, "", "none", prefix) for i, t in enumerate(texts)]


def ours(texts: list[str], embeddings: np.ndarray, seed: int = 0) -> tuple[np.ndarray, float, int, float]:
    """knowbench: PCA -> HDBSCAN -> c-TF-IDF -> outlier reassignment. Returns labels, seconds, topics, raw outliers."""
    from knowbench.training.mwpes.pipeline import ErrorClusterPipeline

    pipeline = ErrorClusterPipeline(analyzer="solution", embedder=None,
                                    component_options={"reducer": {"seed": seed}, "clusterer": {"seed": seed}})
    started = time.perf_counter()
    result = pipeline.fit_embeddings(_samples(texts, "t"), texts, [""] * len(texts), embeddings)
    return result.labels, time.perf_counter() - started, len(result.taxonomy.categories), result.outlier_fraction_before


def bertopic(texts: list[str], embeddings: np.ndarray, model: object, seed: int | None = None
             ) -> tuple[np.ndarray, float, int, float]:
    """BERTopic with its default pipeline (UMAP -> HDBSCAN -> c-TF-IDF); ``seed`` fixes UMAP's random_state only."""
    from bertopic import BERTopic

    options = {}
    if seed is not None:  # BERTopic's default UMAP settings, with a random_state
        from umap import UMAP

        options["umap_model"] = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine",
                                     random_state=seed)
    topic_model = BERTopic(embedding_model=model, **options)
    started = time.perf_counter()
    topics, _ = topic_model.fit_transform(texts, embeddings)
    seconds = time.perf_counter() - started
    labels = np.asarray(topics)
    return labels, seconds, len(set(labels.tolist()) - {-1}), float(np.mean(labels < 0))


def _stability(method, texts: list[str], embeddings: np.ndarray, **kw) -> tuple[float, float]:
    """ARI between two seeds, and between two random 90% subsamples on their common rows."""
    from sklearn.metrics import adjusted_rand_score

    a = method(texts, embeddings, seed=1, **kw)[0]
    b = method(texts, embeddings, seed=2, **kw)[0]
    rng = np.random.default_rng(0)
    n = len(texts)
    first, second = (np.sort(rng.choice(n, int(0.9 * n), replace=False)) for _ in range(2))
    common = np.intersect1d(first, second)
    la = method([texts[i] for i in first], embeddings[first], seed=1, **kw)[0]
    lb = method([texts[i] for i in second], embeddings[second], seed=1, **kw)[0]
    pa = dict(zip(first.tolist(), la.tolist(), strict=True))
    pb = dict(zip(second.tolist(), lb.tolist(), strict=True))
    return (adjusted_rand_score(a, b),
            adjusted_rand_score([pa[i] for i in common.tolist()], [pb[i] for i in common.tolist()]))


def compare(name: str, texts: list[str], embeddings: np.ndarray, model: object, truth: list[str] | None,
            skip_bertopic: bool, stability: bool) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    rows = {}
    methods = [("knowbench", ours, {})]
    if not skip_bertopic:
        methods.append(("bertopic", bertopic, {"model": model}))
    for label, method, kw in methods:
        labels, seconds, topics, raw_outliers = method(texts, embeddings, **kw)
        row = {"seconds": round(seconds, 2), "topics": topics, "outliers_raw": round(raw_outliers, 4),
               "outliers": round(float(np.mean(labels < 0)), 4)}
        if truth is not None:
            row["ari"] = round(adjusted_rand_score(truth, labels), 4)
            row["nmi"] = round(normalized_mutual_info_score(truth, labels), 4)
        if stability:
            seed_ari, sub_ari = _stability(method, texts, embeddings, **kw)
            row["seed_ari"], row["subsample_ari"] = round(seed_ari, 4), round(sub_ari, 4)
        rows[label] = row
        print(f"{name:>12} {label:>10}: {row}", flush=True)
    if "bertopic" in rows:
        ratio = rows["bertopic"]["seconds"] / max(rows["knowbench"]["seconds"], 1e-9)
        print(f"{name:>12} time ratio bertopic / knowbench = {ratio:.1f}x", flush=True)
        rows["time_ratio_bertopic_over_knowbench"] = round(ratio, 2)
    return rows


def _real_embeddings(cache: str | None) -> tuple[list[str], np.ndarray, object]:
    from knowbench.training.mwpes.embedders import SentenceTransformerEmbedder
    from knowbench.training.mwpes.gsm8k_rule import GSM8KRuleAnalyzer
    from knowbench.training.mwpes.samples import errors_from_gsm8k_example_solutions

    embedder = SentenceTransformerEmbedder(cache_dir=cache or "default", show_progress=True)
    math_texts, _ = _math()
    errors = list(errors_from_gsm8k_example_solutions(DATA / "mwp_solutions" / "gsm8k_example_model_solutions.jsonl"))
    error_texts = [a.text for a in GSM8KRuleAnalyzer().analyze(errors)]
    texts = math_texts + error_texts
    return texts, embedder.embed(texts), embedder


def scale_worker(n: int, cache: str | None) -> None:
    """Child process: tile real embeddings to ``n`` rows with noise, cluster and label them; print JSON."""
    texts, real, _ = _real_embeddings(cache)
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    reps = -(-n // len(real))
    tiled = np.empty((n, real.shape[1]), dtype=np.float32)
    for r in range(reps):
        lo, hi = r * len(real), min(n, (r + 1) * len(real))
        if lo >= n:
            break
        block = real[: hi - lo] + rng.normal(0, 0.01, (hi - lo, real.shape[1])).astype(np.float32)
        tiled[lo:hi] = block / np.linalg.norm(block, axis=1, keepdims=True)
    all_texts = [texts[i % len(texts)] for i in range(n)]
    prepared = time.perf_counter() - started
    from knowbench.training.mwpes.pipeline import ErrorClusterPipeline

    pipeline = ErrorClusterPipeline(analyzer="solution", embedder=None)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = pipeline.fit_embeddings(_samples(all_texts, "s"), all_texts, [""] * n, tiled)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    print(json.dumps({"rows": n, "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
                      "prepare_seconds": round(prepared, 1),
                      "peak_rss_gib": round(peak, 2), "categories": len(result.taxonomy.categories),
                      "outliers_raw": round(result.outlier_fraction_before, 4),
                      "outliers": round(result.outlier_fraction, 4),
                      "timings": {k: round(v, 1) for k, v in result.timings.items()}}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", default=None, help="embedding cache folder (default ~/.cache/knowbench)")
    parser.add_argument("--skip-bertopic", action="store_true")
    parser.add_argument("--no-stability", action="store_true", help="skip the seed / subsample reruns")
    parser.add_argument("--scale", type=int, default=0, help="also cluster this many tiled embeddings")
    parser.add_argument("--scale-worker", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    args = parser.parse_args()
    if args.scale_worker:
        scale_worker(args.scale_worker, args.cache)
        return
    results = {}
    texts, embeddings, embedder = _real_embeddings(args.cache)
    math_texts, subjects = _math()
    n_math = len(math_texts)
    results["math"] = compare("MATH", math_texts, embeddings[:n_math], embedder.model, subjects,
                              args.skip_bertopic, not args.no_stability)
    results["gsm8k_errors"] = compare("GSM8K errs", texts[n_math:], embeddings[n_math:], embedder.model, None,
                                      args.skip_bertopic, False)
    if args.scale:
        env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2", MKL_NUM_THREADS="2")
        command = [sys.executable, __file__, "--scale-worker", str(args.scale)]
        if args.cache:
            command += ["--cache", args.cache]
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            raise SystemExit(done.returncode)
        results["scale"] = json.loads(done.stdout.strip().splitlines()[-1])
        results["scale"]["process_seconds"] = round(time.perf_counter() - started, 1)
        print(f"       scale knowbench: {results['scale']}", flush=True)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
