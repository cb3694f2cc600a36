"""What the tool sandbox costs: one sandboxed call against an in-process ``exec`` of the same real ToolHop tool,
measured in the same run, plus the time to check every row of the sample for solvability.

    python bench/bench_sandbox.py                       # builds the 70-row sample into a temporary folder
    python bench/bench_sandbox.py --data out/toolhop --calls 500 --workers 2

Prints medians and the ratio sandbox / in-process. The in-process baseline is what the official ToolHop evaluation
does (define the function with ``exec``, call it, capture its prints) and is UNSAFE for untrusted code.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("KNOWBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))


def _timings(call, n: int) -> list[float]:
    call()  # warm up (compile caches, worker start)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return sorted(samples)


def _cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) of this process, plus the given workers and their reaped children (Linux)."""
    usage = os.times()
    total = usage.user + usage.system
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        total += sum(int(value) for value in fields[11:15]) / ticks  # utime, stime, cutime, cstime
    return total


def _describe(samples: list[float], scale: float, unit: str) -> str:
    p10 = samples[len(samples) // 10]
    return (
        f"median {statistics.median(samples) * scale:9.3f} {unit}  (p10 {p10 * scale:.3f}, "
        f"min {samples[0] * scale:.3f})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", help="built ToolHop folder (default: build the 70-row sample to a temp folder)"
    )
    parser.add_argument("--source", default=str(SHARED / "toolhop" / "toolhop_sample70.json"))
    parser.add_argument("--calls", type=int, default=200, help="calls per measurement")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    from knowbench.loaders.toolhop import load_rows
    from knowbench.sandbox import InProcessSandbox, ToolSandbox, example_calls
    from knowbench.training.toolhop.solvability import check_toolhop

    with tempfile.TemporaryDirectory() as scratch:
        data = args.data
        if data is None:
            from knowbench.builders import get_builder
            from knowbench.builders.writer import build_to_folder

            data = str(Path(scratch) / "toolhop")
            build_to_folder(get_builder("toolhop", source=args.source), data)
        rows = load_rows(data)
        tool, arguments = next(
            (t, calls[0]) for r in rows for t in r.tools if (calls := example_calls(t.source, t.name))
        )
        print(f"tool: {tool.name} ({len(tool.source)} chars of source), arguments {arguments}")

        baseline = InProcessSandbox()
        with ToolSandbox(workers=1) as sandbox:
            expected = baseline.call(tool.source, tool.name, arguments).value
            assert sandbox.call(tool.source, tool.name, arguments).value == expected
            inprocess = _timings(lambda: baseline.call(tool.source, tool.name, arguments), args.calls)
            cpu_before = _cpu_seconds(sandbox.worker_pids())
            sandboxed = _timings(lambda: sandbox.call(tool.source, tool.name, arguments), args.calls)
            cpu_per_call = (_cpu_seconds(sandbox.worker_pids()) - cpu_before) / (args.calls + 1)
            layers = sandbox.layers()
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(
            f"load average {load:.1f} on {os.cpu_count()} CPUs (contention inflates the sandbox's wall times)"
        )
        print(f"in-process exec + call: {_describe(inprocess, 1e6, 'µs')}")
        print(f"sandboxed call:         {_describe(sandboxed, 1e3, 'ms')}")
        print(f"CPU time per sandboxed call (evaluator + worker + child): {cpu_per_call * 1e3:.3f} ms")
        ratio = statistics.median(sandboxed) / statistics.median(inprocess)
        print(f"ratio sandbox / in-process (medians): {ratio:.0f}x")
        print("layers: " + ", ".join(f"{k}={v}" for k, v in layers.items()))

        started = time.perf_counter()
        report = check_toolhop(data, workers=args.workers, rows=rows)
        elapsed = time.perf_counter() - started
        summary = report.summary
        print(
            f"solvability check of {summary['rows']} rows ({summary['calls']} sandboxed calls, "
            f"{args.workers} workers): {elapsed:.2f} s including worker start"
        )
        print(
            f"solvable rows {summary['solvable_rows']}/{summary['rows']}, failing calls {summary['calls_failed']}, "
            f"tools without example calls {summary['tools_missing_example_calls']}/{summary['hops']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
