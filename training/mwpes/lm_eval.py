"""Math word problems as lm-evaluation-harness tasks: ``mwpes_gsm8k``, ``mwpes_svamp``, ``mwpes_aqua``,
``mwpes_math``, ``mwpes_asdiv``, for collecting MWPES error samples with any harness model (vLLM, an
OpenAI-compatible server) and ingesting them back (``knowbench ingest mwpes --format lm-eval``).

Problems come from knowbench's readers (``--source DATASET=FILE``, the raw files ``knowbench collect mwp`` reads)
or from the problems of a built MWPES folder (``--data``); the export writes them as one parquet file per dataset
inside the export folder (rows in the :class:`~knowbench.datasets_src.mwpes.schema.Problem` schema plus the
``prompt``: the zero-shot chain-of-thought turn of ``knowbench collect mwp``). Every generation is judged by
:func:`knowbench.datasets_src.mwpes.judge.judge`; with ``samples`` > 1 (lm-eval ``repeats``) ``acc`` is the share of
correct generations.

Example:
    >>> doc = {"dataset": "gsm8k", "problem_id": "test-0", "question": "q", "gold_answer": "18",
    ...        "gold_solution": "", "options": [], "level": None, "type": None, "steps": []}
    >>> process_results(doc, [["9 * 2 = 18. The answer is 18.", "The answer is 16."]])
    {'acc': 0.5, 'no_answer': 0.0}
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from knowbench.datasets_src.mwpes import READERS, read_problems
from knowbench.datasets_src.mwpes.judge import judge
from knowbench.datasets_src.mwpes.prompts import PROMPT_VERSION, build_messages
from knowbench.datasets_src.mwpes.schema import CalculatorStep, Problem
from knowbench.errors import ConfigError, UnknownNameError
from knowbench.training.common.lm_eval import (
    Export,
    keep_all_filter,
    mean_metrics,
    parquet_source,
    read_provenance,
    split_files,
    utils_source,
)

#: the generation budget of ``knowbench collect mwp``
MAX_NEW_TOKENS = 512
#: sampling temperature when several generations per problem are asked without one
SAMPLE_TEMPERATURE = 0.7
SCHEMA = pa.schema([
    ("dataset", pa.string()), ("problem_id", pa.string()), ("question", pa.string()),
    ("gold_answer", pa.string()), ("gold_solution", pa.string()), ("options", pa.list_(pa.string())),
    ("level", pa.string()), ("type", pa.string()),
    ("steps", pa.list_(pa.struct([("expression", pa.string()), ("result", pa.string())]))),
    ("prompt", pa.string()),
])


def task_name(dataset: str) -> str:
    """``gsm8k`` -> ``mwpes_gsm8k``."""
    return f"mwpes_{dataset}"


def process_results(doc: dict[str, Any], results: list[Any]) -> dict[str, float]:
    """Judge every generation of one problem: share correct (``acc``) and share without an answer."""
    problem = Problem.from_dict(doc)
    texts = results[0] if isinstance(results[0], list) else results
    verdicts = [judge(problem, text) for text in texts]
    return {"acc": sum(v.correct for v in verdicts) / len(verdicts),
            "no_answer": sum(v.label == "no_answer" for v in verdicts) / len(verdicts)}


def problems_table(problems: Iterable[Problem]) -> pa.Table:
    """The rows of a problems file: the problem and knowbench's zero-shot prompt."""
    rows = [{**p.to_dict(), "prompt": build_messages(p)[-1]["content"]} for p in problems]
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def parse_sources(sources: Sequence[str]) -> dict[str, Path]:
    """``["gsm8k=FILE", ...]`` -> {dataset: path}; unknown datasets and repeats raise."""
    out: dict[str, Path] = {}
    for item in sources:
        name, sep, path = item.partition("=")
        if not sep or not path:
            raise ConfigError(f"--source looks like DATASET=FILE, got {item!r}")
        if name not in READERS:
            raise UnknownNameError("math word problem dataset", name, READERS)
        if name in out:
            raise ConfigError(f"--source gives {name!r} twice")
        out[name] = Path(path)
    return out


def folder_problems(data: str | os.PathLike[str]) -> dict[str, list[Problem]]:
    """The distinct problems of each dataset config of a built MWPES folder, in first-seen order."""
    provenance = read_provenance(data)
    if provenance["dataset"] != "mwpes":
        raise ConfigError(f"{data} is a {provenance['dataset']} folder, not mwpes")
    out: dict[str, list[Problem]] = {}
    for dataset in READERS:
        if not any(s.get("config") == dataset for s in provenance.get("splits", [])):
            continue
        seen: dict[str, Problem] = {}
        for file in split_files(data, dataset, "train"):
            for row in pq.read_table(file).to_pylist():
                if row["problem_id"] not in seen:
                    seen[row["problem_id"]] = Problem(
                        row["dataset"], row["problem_id"], row["question"], row["gold_answer"],
                        row["gold_solution"], tuple(row["options"] or ()), row["level"], row["type"],
                        tuple(CalculatorStep(s["expression"], s["result"]) for s in row["gold_steps"] or ()))
        if seen:
            out[dataset] = list(seen.values())
    return out


def build_export(
    sources: Sequence[str] = (),
    data: str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] = "tasks",
    samples: int = 1,
    temperature: float | None = None,
) -> Export:
    """Tasks ``mwpes_<dataset>`` for the problems of ``sources`` (``DATASET=FILE``) and/or a built folder ``data``
    (a dataset given in both is read from its source file). ``out`` is the tasks folder the export goes to."""
    if samples < 1:
        raise ConfigError(f"samples must be >= 1, got samples={samples}")
    temperature = (SAMPLE_TEMPERATURE if samples > 1 else 0.0) if temperature is None else temperature
    if temperature < 0 or (samples > 1 and temperature == 0):
        raise ConfigError(f"samples={samples} needs a temperature > 0, got temperature={temperature}")
    problems = folder_problems(data) if data is not None else {}
    files = parse_sources(sources)
    problems.update({name: read_problems(name, path) for name, path in files.items()})
    if not problems:
        raise ConfigError("no problems: give --source DATASET=FILE or --data with a built MWPES folder")
    export = Export("mwpes", manifest={
        "data": str(Path(data).resolve()) if data is not None else None,
        "sources": {name: str(path.resolve()) for name, path in files.items()},
        "prompt_version": PROMPT_VERSION, "samples": samples, "temperature": temperature,
    })
    folder = (Path(out) / export.dataset).resolve()
    for dataset, items in problems.items():
        if not items:
            raise ConfigError(f"{files.get(dataset, data)}: no {dataset} problems")
        name = f"problems_{dataset}.parquet"
        buffer = io.BytesIO()
        pq.write_table(problems_table(items), buffer)
        export.files[name] = buffer.getvalue()
        export.add_task(task_name(dataset), {
            **parquet_source([folder / name]),
            "output_type": "generate_until",
            "doc_to_text": "{{prompt}}",
            "doc_to_target": "{{gold_answer}}",
            "generation_kwargs": {"until": [], "max_gen_toks": MAX_NEW_TOKENS, "do_sample": temperature > 0,
                                  "temperature": temperature},
            "repeats": samples,
            "filter_list": keep_all_filter(samples),
            "process_results": export.fn("process_results"),
            "metric_list": [*mean_metrics(["acc"]),
                            {"metric": "no_answer", "aggregation": "mean", "higher_is_better": False}],
        })
    export.utils = utils_source(__name__, ["process_results"])
    return export
