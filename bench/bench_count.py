"""Benchmark: the SMI paper's per-document x per-fact substring scan against knowbench's counting, same run.

Corpus: the real Wikipedia samples in ``../shared/data/wiki/wikipedia/`` (every article's latest revision,
cleaned with EvoWiki's ``clean_text``), repeated to ``--mb`` megabytes. Facts: the paper's 12,671 facts.

1. The paper's scan (``" " + label in text`` for every fact and document, ``count_reference.paper_scan``) runs on a
   time-boxed prefix of the documents (``--scan-seconds``); its throughput is scaled per byte.
2. knowbench's counter runs on the same prefix (counts must be identical, else the script fails), on every distinct
   article (counts must equal ``count_reference.automaton_scan``'s) and then on the whole corpus, on one core;
   MB/s per core uses the process CPU time (the machine may be shared).
3. Optionally ``--workers N`` runs the parallel path over a JSONL copy of the corpus.

Usage:
    python bench/bench_count.py                    # ~32 MB, a few minutes on 2 cores
    python bench/bench_count.py --mb 256 --workers 4
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("KNOWBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))


def wikipedia_texts(folder: Path) -> list[str]:
    """Clean text of every article (namespace 0, latest revision) of the XML samples, plus the raw-wikitext files."""
    from knowbench.datasets_src.evowiki.wikipedia import clean_text
    from knowbench.datasets_src.triples.corpus import iter_wiki_pages

    cache_key = hashlib.sha256("".join(sorted(f"{p.name}:{p.stat().st_size}" for p in folder.iterdir())).encode())
    cache = Path(tempfile.gettempdir()) / f"knowbench-bench-count-{cache_key.hexdigest()[:12]}.json"
    if cache.is_file():
        return json.loads(cache.read_text())
    texts: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.name.endswith((".xml", ".xml.bz2")):
            texts.extend(t for t in iter_wiki_pages(path) if t.strip())
        elif path.suffix == ".txt":
            texts.append(clean_text(path.read_text()))
    cache.write_text(json.dumps(texts))
    return texts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=32.0, help="corpus size in MB (the samples repeated)")
    parser.add_argument("--scan-seconds", type=float, default=20.0, help="time box of the paper's scan")
    parser.add_argument("--mode", default="paper", choices=["paper", "boundary"])
    parser.add_argument("--workers", type=int, default=0, help="also time the parallel path with N processes")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes (the best one counts)")
    parser.add_argument("--json", action="store_true", help="print one JSON line of results")
    args = parser.parse_args()

    from count_reference import automaton_scan, paper_scan

    from knowbench.datasets_src.triples import read_facts
    from knowbench.datasets_src.triples.count import FactIndex

    facts = read_facts(SHARED / "smi/pararel_15classes.json")
    started = time.perf_counter()
    base = wikipedia_texts(SHARED / "wiki/wikipedia")
    base_bytes = sum(len(t.encode()) for t in base)
    copies = max(1, round(args.mb * 1e6 / base_bytes))
    corpus = base * copies
    corpus_bytes = base_bytes * copies
    print(f"corpus: {len(base)} real Wikipedia articles ({base_bytes / 1e6:.2f} MB clean text, read in "
          f"{time.perf_counter() - started:.1f} s) x {copies} = {len(corpus):,} documents, {corpus_bytes / 1e6:.1f} MB; "
          f"{len(facts):,} facts", flush=True)

    # 1. the paper's scan, time-boxed, on a prefix of the documents
    scan_docs: list[str] = []
    scan_cpu = 0.0
    for text in base:
        t0 = time.process_time()
        paper_scan(facts, [text])
        scan_cpu += time.process_time() - t0
        scan_docs.append(text)
        if scan_cpu >= args.scan_seconds:
            break
    scan_bytes = sum(len(t.encode()) for t in scan_docs)
    scan_rate = scan_bytes / scan_cpu
    print(f"paper scan: {len(scan_docs)} documents, {scan_bytes / 1e3:.0f} KB in {scan_cpu:.1f} CPU s "
          f"= {scan_rate / 1e3:.1f} KB/s per core", flush=True)

    # 2. identical counts on the scanned prefix and on every distinct article, then the whole corpus on one core
    result: dict[str, object] = {"corpus_mb": corpus_bytes / 1e6, "documents": len(corpus), "facts": len(facts),
                                 "scan_kb_per_s": scan_rate / 1e3, "mode": args.mode, "scan_documents": len(scan_docs)}
    index = FactIndex(facts, mode=args.mode)
    if args.mode == "paper":
        got = index.count(scan_docs).per_fact(index)
        if got != paper_scan(facts, scan_docs):
            print("FAIL: counts differ from the paper's scan", file=sys.stderr)
            return 1
        print(f"identical counts to the paper's scan on those {len(scan_docs)} documents for all {len(facts):,} facts "
              f"(N_so > 0 for {sum(r['n_so'] > 0 for r in got):,})", flush=True)
    if index.count(base).per_fact(index) != automaton_scan(facts, base, mode=args.mode):
        print("FAIL: counts differ from the automaton reference", file=sys.stderr)
        return 1
    print(f"identical counts to the automaton reference on all {len(base)} articles", flush=True)
    best_cpu = best_wall = float("inf")
    for _ in range(args.repeat):
        t0, w0 = time.process_time(), time.perf_counter()
        counts = index.count(corpus)
        best_cpu = min(best_cpu, time.process_time() - t0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    rate = corpus_bytes / best_cpu
    ratio = rate / scan_rate
    print(f"knowbench ({args.mode} mode): {corpus_bytes / 1e6:.1f} MB in {best_cpu:.2f} CPU s "
          f"({best_wall:.2f} s wall) = {rate / 1e6:.1f} MB/s per core, {ratio:,.0f}x the paper's scan; "
          f"facts with N_so > 0: {int((counts.n_so > 0).sum()):,}", flush=True)
    result["mb_per_s_per_core"] = rate / 1e6
    result["ratio"] = ratio

    # 3. the parallel path over a JSONL file
    if args.workers:
        import orjson

        from knowbench.datasets_src.triples.runner import count_corpus

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "corpus.jsonl"
            with open(path, "wb") as handle:
                for text in corpus:
                    handle.write(orjson.dumps({"text": text}) + b"\n")
            t0 = time.perf_counter()
            parallel = count_corpus(facts, [path], mode=args.mode, workers=args.workers)
            wall = time.perf_counter() - t0
        if not parallel.raw.same_as(counts):
            print("FAIL: parallel counts differ from the serial counts", file=sys.stderr)
            return 1
        print(f"parallel, {args.workers} workers (JSONL read + count): {corpus_bytes / 1e6 / wall:.1f} MB/s wall, "
              f"counts identical to one core", flush=True)
        result["parallel_mb_per_s"] = corpus_bytes / 1e6 / wall
        result["workers"] = args.workers
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
