"""Full smi-mini run at the default size (3 model sizes, 300 facts, 60k Wikipedia words), timed end to end.

    python bench/train_smi_mini.py --out runs/smi-mini [--data-root ../shared/data] [--sizes 0.5m,1.5m,5m]

Prints R^2 of SMI / MI / CO per model size and the wall time; the run folder keeps config, metrics, plots.
A killed run resumes when started again with the same --out.
"""

from __future__ import annotations

import argparse
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="runs/smi-mini")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--sizes", default="0.5m,1.5m,5m")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more `knowbench train smi-mini` options")
    args = parser.parse_args()
    from knowbench.cli import main as cli

    argv = ["train", "smi-mini", "--out", args.out, "--sizes", args.sizes, "--threads", str(args.threads)]
    if args.data_root:
        argv += ["--data-root", args.data_root]
    started = time.perf_counter()
    code = cli(argv + list(args.extra))
    print(f"wall time: {time.perf_counter() - started:.0f} s (a resumed run counts only this call)")
    return code


if __name__ == "__main__":
    sys.exit(main())
