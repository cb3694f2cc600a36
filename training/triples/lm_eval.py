"""Closed-book QA on knowledge triples as the lm-evaluation-harness task ``smi_cbqa``.

Every fact of the built ``facts`` config is asked once per ParaRel cloze template of its relation (``[S]`` = the
subject; the prompts of ``knowbench eval cbqa``, made by its own function), as a raw prompt. A generation is
correct when it contains the object string (the SMI paper's rule, arXiv 2502.04066, :func:`is_correct`). With
``samples`` > 1 each prompt is sampled that many times (lm-eval ``repeats``). Metrics: ``acc``, the mean over facts
of each fact's share of correct generations (what ``knowbench eval cbqa`` prints), and ``acc_prompts``, the mean
over prompts.

Example:
    >>> doc = {"fact_id": "f1", "object": "Paris"}
    >>> process_results(doc, [["Paris, France", "Lyon"]])
    {'acc': ('f1', 1, 2), 'acc_prompts': 0.5}
    >>> fact_accuracy([("f1", 1, 2), ("f1", 2, 2), ("f2", 0, 2)])
    0.375
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

from knowbench.datasets_src.triples.pararel import load_templates
from knowbench.datasets_src.triples.types import Triple
from knowbench.errors import ConfigError
from knowbench.training.common.lm_eval import (
    Export,
    keep_all_filter,
    parquet_source,
    read_provenance,
    split_files,
    utils_source,
)
from knowbench.training.triples.cbqa import CBQAConfig, _items, is_correct

TASK = "smi_cbqa"
TEMPLATES_FILE = "smi_cbqa_templates.json"


def process_results(doc: dict[str, Any], results: list[list[str]]) -> dict[str, Any]:
    """lm-eval's ``process_results`` on every generation of one prompt: (fact, correct, n) and the prompt's share."""
    texts = results[0] if isinstance(results[0], list) else results
    correct = sum(is_correct(text, doc["object"]) for text in texts)
    return {"acc": (doc["fact_id"], correct, len(texts)), "acc_prompts": correct / len(texts)}


def fact_accuracy(items: Sequence[tuple[str, int, int]]) -> float:
    """Mean over facts of correct / generations (the aggregation of ``acc``)."""
    totals: dict[str, list[int]] = {}
    for fact_id, correct, n in items:
        entry = totals.setdefault(fact_id, [0, 0])
        entry[0] += correct
        entry[1] += n
    return sum(c / n for c, n in totals.values()) / len(totals) if totals else 0.0


def expand_docs(dataset: Any, templates_path: str | os.PathLike[str], templates_per_fact: int | None = None) -> Any:
    """One document per (fact, template) of a ``datasets.Dataset`` of facts, with the cloze ``prompt``."""
    templates = load_templates(templates_path)

    def expand(batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        facts = [Triple(s, r, o, id=i) for s, r, o, i in
                 zip(batch["subject"], batch["relation"], batch["object"], batch["fact_id"], strict=True)]
        items = _items(facts, templates, templates_per_fact)
        return {"id": [i for i, *_ in items], "fact_id": [f.fact_id for _, f, _, _ in items],
                "subject": [f.subject for _, f, _, _ in items], "relation": [f.relation for _, f, _, _ in items],
                "object": [f.object for _, f, _, _ in items], "template": [n for _, _, n, _ in items],
                "prompt": [p for *_, p in items]}

    return dataset.map(expand, batched=True, remove_columns=dataset.column_names)


def build_export(
    data: str | os.PathLike[str],
    templates: str | os.PathLike[str],
    templates_per_fact: int | None = None,
    samples: int = 1,
    temperature: float | None = None,
) -> Export:
    """The ``smi_cbqa`` task over the ``facts`` config of the built triples folder ``data``."""
    defaults = CBQAConfig()
    config = CBQAConfig(samples=samples, templates_per_fact=templates_per_fact,
                        temperature=defaults.temperature if temperature is None and samples > 1 else (temperature or 0.0))
    if config.samples > 1 and config.temperature == 0:
        raise ConfigError(f"samples={samples} generations per prompt need a temperature > 0")
    table = load_templates(templates)
    files = split_files(data, "facts", "train")
    relations = set()
    for file in files:
        relations.update(pq.read_table(file, columns=["relation"]).column("relation").to_pylist())
    missing = sorted(relations - set(table))
    if missing:
        raise ConfigError(f"{templates}: no templates for relation {missing[0]!r} of {data} "
                          f"({len(missing)} relation(s) without templates)")
    export = Export("triples", manifest={"data": str(Path(data).resolve()), "build_id": read_provenance(data).get("build_id"),
                                         "templates": str(Path(templates).resolve())})
    sampled = config.temperature > 0
    export.add_task(TASK, {
        **parquet_source(files, split="train"),
        "process_docs": export.fn("cbqa_docs"),
        "output_type": "generate_until",
        "doc_to_text": "{{prompt}}",
        "doc_to_target": "{{object}}",
        "generation_kwargs": {"until": [], "max_gen_toks": config.max_new_tokens, "do_sample": sampled,
                              "temperature": config.temperature},
        "repeats": config.samples,
        "filter_list": keep_all_filter(config.samples),
        "process_results": export.fn("process_results"),
        "metric_list": [
            {"metric": "acc", "aggregation": export.fn("fact_accuracy"), "higher_is_better": True},
            {"metric": "acc_prompts", "aggregation": "mean", "higher_is_better": True},
        ],
    })
    export.files[TEMPLATES_FILE] = orjson.dumps(table, option=orjson.OPT_INDENT_2)
    export.utils = utils_source(
        __name__, ["expand_docs", "fact_accuracy", "process_results"], {"TEMPLATES_PER_FACT": templates_per_fact},
        ["def cbqa_docs(dataset):\n    import pathlib\n\n"
         f"    return expand_docs(dataset, pathlib.Path(__file__).with_name({TEMPLATES_FILE!r}), TEMPLATES_PER_FACT)"],
    )
    return export
