"""Continual learning of SmolLM2-135M on an EvoWiki build from the real samples: exact match per state before and
after, with and without BM25 RAG.

    python bench/train_evowiki_cl.py --data-root ../shared/data --out runs/evowiki-cl [--limit-per-state 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", default="../shared/data")
    parser.add_argument("--out", default="runs/evowiki-cl")
    parser.add_argument("--limit-per-state", type=int, default=20)
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    from knowbench.builders import get_builder
    from knowbench.builders.writer import build_to_folder
    from knowbench.cli import main as cli

    wiki = Path(args.data_root) / "wiki"
    data = Path(args.out).with_name(Path(args.out).name + "-data")
    if not data.exists():
        build_to_folder(get_builder(
            "evowiki", wikidata=[wiki / "wikidata", wiki / "wikidata_api"], cutoff="2014-06-01", retrievers=["bm25"],
            wikipedia=[wiki / "wikipedia/pywikibot_article-pear-0.10.xml"], max_hops=2), data)
    started = time.perf_counter()
    code = cli(["train", "evowiki-cl", "--data", str(data), "--out", args.out, "--limit-per-state",
                str(args.limit_per_state), "--epochs", str(args.epochs), "--threads", str(args.threads)])
    print(f"wall time: {time.perf_counter() - started:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
