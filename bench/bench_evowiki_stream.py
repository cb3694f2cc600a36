"""Benchmark: streaming a Wikidata JSON dump with the EvoWiki reader (entities/s, MB/s, peak memory).

A dump of N entities is made by repeating the 101 real entities of Wikidata-Toolkit's
``sample-dump-20150815.json.gz`` (real dump layout) and compressed as bz2 and gzip. Every (size, format, mode)
is streamed in a fresh subprocess so that its peak resident memory (``ru_maxrss``, children included) is its
own. Modes, all in the same run:

* ``plain``: ``bz2``/``gzip`` modules + ``json`` (the fallback path; the baseline of the ratios);
* ``fast``: ``indexed_bzip2`` parallel bzip2 decompression (gzip: zlib) + ``orjson``;
* ``fast+rapidgzip`` (gzip only): ``rapidgzip`` parallel gzip decompression + ``orjson``;
* ``fast+procN``: the same with parsing in N worker processes;
* ``fast+procN+props``: the same keeping only the statements of the EvoWiki properties (what the builder does).

"per core" divides by the CPU seconds used (process + children), so it does not depend on how busy the
machine is. Flat memory across sizes shows the stream does not hold the dump.

    python bench/bench_evowiki_stream.py                       # 3 sizes, a few minutes on 2 cores
    python bench/bench_evowiki_stream.py --sizes 20000 200000 --processes 4 --plot /tmp/evowiki_stream.png
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SAMPLE = (
    REPO.parent
    / "shared"
    / "data"
    / "wiki"
    / "wikidata"
    / "Wikidata__Wikidata-Toolkit__sample-dump-20150815.json.gz"
)


# the time-sensitive properties EvoWiki asks about (positions held, head of government, employer, team, spouse,
# residence, population, educated at, party) plus "instance of"
EVOWIKI_PROPERTIES = ("P39", "P6", "P35", "P108", "P54", "P26", "P551", "P1082", "P69", "P102", "P31")


def load_docs(sources: list[Path]) -> list[dict]:
    """The real entity documents to repeat (dumps, API responses or folders of them)."""
    from knowbench.datasets_src.evowiki.dumpio import iter_documents

    return list(iter_documents(sources))


def make_dump(docs: list[dict], entities: int, folder: Path) -> dict[str, Path]:
    """Write ``entities`` entities (the real ones, repeated, ids made unique) as .json.bz2 and .json.gz."""
    body = bytearray(b"[\n")
    for number in range(entities):
        doc = dict(docs[number % len(docs)])
        if number >= len(docs):
            doc["id"] = f"{doc['id']}x{number // len(docs)}"
        body += json.dumps(doc, separators=(",", ":")).encode()
        body += b",\n" if number < entities - 1 else b"\n"
    body += b"]\n"
    paths: dict = {"bz2": folder / f"dump-{entities}.json.bz2", "gz": folder / f"dump-{entities}.json.gz"}
    paths["json_bytes"] = len(body)
    paths["bz2"].write_bytes(bz2.compress(bytes(body), 9))
    paths["gz"].write_bytes(gzip.compress(bytes(body), 6))
    return paths


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM (Linux) belongs to the address space, so unlike ``ru_maxrss``
    it does not carry over the parent's peak across fork + exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(path: str, mode: str, processes: int, threads: int) -> None:
    """Stream one file and print one JSON line with the measurements (run in a fresh subprocess)."""
    from knowbench.datasets_src.evowiki.wikidata import iter_entities

    fast = mode != "plain"
    properties = EVOWIKI_PROPERTIES if mode.endswith("+props") else None
    parallel_gzip = "rapidgzip" in mode
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    count = statements = 0
    # "fork": workers are this process's children, so RUSAGE_CHILDREN counts their CPU time and memory
    for entity in iter_entities(
        path,
        fast=fast,
        processes=processes,
        threads=threads,
        start_method="fork",
        properties=properties,
        parallel_gzip=parallel_gzip,
    ):
        count += 1
        statements += len(entity.statements)
    wall = time.perf_counter() - start_wall
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - start_cpu + children.ru_utime + children.ru_stime
    print(
        json.dumps(
            {
                "entities": count,
                "statements": statements,
                "wall_s": wall,
                "cpu_s": cpu,
                "peak_rss_mb": peak_rss_mb(),
                "peak_child_rss_mb": children.ru_maxrss / 1024,
            }
        )
    )


def run_one(path: Path, mode: str, processes: int, threads: int) -> dict:
    command = [sys.executable, __file__, "--worker", str(path), mode, str(processes), str(threads)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"worker failed for {path.name} {mode}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sample", type=Path, nargs="+", default=[DEFAULT_SAMPLE],
        help="real entity files/folders to repeat (default: the 101-entity sample dump)",
    )  # fmt: skip
    parser.add_argument("--sizes", type=int, nargs="+", default=[4_000, 16_000, 64_000])
    parser.add_argument("--processes", type=int, default=2, help="worker processes of the fast+procN mode")
    parser.add_argument("--threads", type=int, default=2, help="decompression threads of the fast modes")
    parser.add_argument("--formats", nargs="+", default=["bz2", "gz"], choices=["bz2", "gz"])
    parser.add_argument("--json", type=Path, help="write all measurements here")
    parser.add_argument("--plot", type=Path, help="write a memory/throughput plot (PNG) here")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        path, mode, processes, threads = args.worker
        worker(path, mode, int(processes), int(threads))
        return

    from rich.console import Console
    from rich.table import Table

    console = Console(width=180)
    modes = [
        ("plain", 1),
        ("fast", 1),
        (f"fast+proc{args.processes}", args.processes),
        (f"fast+proc{args.processes}+props", args.processes),
    ]
    rows: list[dict] = []
    docs = load_docs(args.sample)
    with tempfile.TemporaryDirectory(prefix="evowiki-bench-") as tmp:
        for size in args.sizes:
            paths = make_dump(docs, size, Path(tmp))
            for fmt in args.formats:
                compressed_mb = paths[fmt].stat().st_size / 1e6
                json_mb = paths["json_bytes"] / 1e6  # type: ignore[operator]
                for mode, processes in modes + ([("fast+rapidgzip", 1)] if fmt == "gz" else []):
                    result = run_one(paths[fmt], mode, processes, args.threads)
                    if result["entities"] != size:
                        raise SystemExit(f"{mode} read {result['entities']} entities of {size}")
                    result.update(
                        size=size, format=fmt, mode=mode, compressed_mb=compressed_mb, json_mb=json_mb
                    )
                    result["json_mb_per_cpu_s"] = json_mb / max(result["cpu_s"], 1e-9)
                    result["entities_per_s"] = size / result["wall_s"]
                    result["entities_per_cpu_s"] = size / max(result["cpu_s"], 1e-9)
                    result["compressed_mb_per_s"] = compressed_mb / result["wall_s"]
                    rows.append(result)
                    console.log(f"{size} {fmt} {mode}: {result['entities_per_s']:.0f} entities/s")

    baseline = {(r["size"], r["format"]): r for r in rows if r["mode"] == "plain"}
    table = Table(
        title=f"EvoWiki dump streaming ({os.cpu_count()} CPUs, {args.threads} decompression threads)"
    )
    for column in (
        "entities", "format", "mode", "compressed MB", "entities/s", "entities/s per core", "MB/s (compressed)",
        "JSON MB/s per core",
        "peak RSS MB", "peak worker RSS MB", "speed vs plain",
    ):  # fmt: skip
        table.add_column(column, justify="right")
    for r in rows:
        ratio = r["entities_per_s"] / baseline[(r["size"], r["format"])]["entities_per_s"]
        r["speed_vs_plain"] = ratio
        table.add_row(
            str(r["size"]), r["format"], r["mode"], f"{r['compressed_mb']:.2f}", f"{r['entities_per_s']:.0f}",
            f"{r['entities_per_cpu_s']:.0f}", f"{r['compressed_mb_per_s']:.2f}", f"{r['json_mb_per_cpu_s']:.1f}",
            f"{r['peak_rss_mb']:.0f}",
            f"{r['peak_child_rss_mb']:.0f}", f"{ratio:.2f}x",
        )  # fmt: skip
    console.print(table)
    small, large = min(args.sizes), max(args.sizes)
    for fmt in args.formats:
        for mode, _ in modes + ([("fast+rapidgzip", 1)] if fmt == "gz" else []):
            low = next(r for r in rows if (r["size"], r["format"], r["mode"]) == (small, fmt, mode))
            high = next(r for r in rows if (r["size"], r["format"], r["mode"]) == (large, fmt, mode))
            console.print(
                f"{fmt} {mode}: peak RSS {low['peak_rss_mb']:.0f} MB at {small} entities -> "
                f"{high['peak_rss_mb']:.0f} MB at {large} ({large / small:.0f}x the data, "
                f"{high['peak_rss_mb'] / low['peak_rss_mb']:.2f}x the memory)"
            )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    if args.plot:
        plot(rows, args.plot)
        console.print(f"plot written to {args.plot}")


def plot(rows: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (memory, speed) = plt.subplots(1, 2, figsize=(11, 4))
    for key in sorted({(r["format"], r["mode"]) for r in rows}):
        series = sorted((r for r in rows if (r["format"], r["mode"]) == key), key=lambda r: r["size"])
        sizes = [r["size"] for r in series]
        memory.plot(sizes, [r["peak_rss_mb"] for r in series], marker="o", label=" ".join(key))
        speed.plot(sizes, [r["entities_per_cpu_s"] for r in series], marker="o", label=" ".join(key))
    memory.set(
        xscale="log", xlabel="entities in dump", ylabel="peak RSS (MB)", title="peak memory vs dump size"
    )
    speed.set(
        xscale="log", xlabel="entities in dump", ylabel="entities / CPU second", title="throughput per core"
    )
    speed.axhline(2000, color="grey", linestyle="--", linewidth=1, label="goal 2,000/s per core")
    memory.legend(fontsize=7)
    speed.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(out, dpi=120)


if __name__ == "__main__":
    main()
