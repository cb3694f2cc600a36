"""EvoWiki as lm-evaluation-harness tasks: ``evowiki_<state>`` (closed book), ``evowiki_<state>_rag`` (the top-k
retrieved passages in the prompt) for the states stable, evolved and uncharted, and the groups ``evowiki`` and
``evowiki_rag``.

Prompts are built by the very function of ``knowbench eval evowiki`` (its system prompt is the task's
``description``, sent as the system message under ``--apply_chat_template``), and replies are scored by its
functions: exact match on the latest answer and on any answer the fact has had (aliases included, SQuAD
normalisation, first line only), containment, and for evolved questions the share answered with an outdated value.

Example:
    >>> bonn = {"value": "Q2079", "label": "Bonn", "aliases": [], "start": None, "end": "1990-10-03",
    ...         "point_in_time": None, "rank": "normal", "current": False}
    >>> doc = dict(id="q1", question="What is the capital of Germany?", answer="Berlin", answer_id="Q64",
    ...            answer_aliases=[], answer_since="1990-10-03", all_answers=[bonn], cutoff_answers=["Bonn"],
    ...            state="evolved", hop_states=["evolved"], hops=1, subject_id="Q183", subject_label="Germany",
    ...            property="P36", property_label="capital", path_entities=["Q183"], path_properties=["P36"],
    ...            popularity=0, cutoff="1990-01-01", changes=[], bm25_top5=[])
    >>> process_results(doc, ["The Bonn.\\nBerlin"])
    {'em_latest': 0.0, 'em_all': 1.0, 'contains_latest': 0.0, 'contains_all': 1.0, 'outdated': 1.0}
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from knowbench.errors import ConfigError, UnknownNameError
from knowbench.loaders.evowiki import STATES, EvoWikiRow
from knowbench.training.common.lm_eval import (
    Export,
    mean_metrics,
    parquet_source,
    read_provenance,
    split_files,
    utils_source,
)
from knowbench.training.evowiki.eval import SYSTEM, _prompt, contains, exact_match

METRICS = ("em_latest", "em_all", "contains_latest", "contains_all")
#: the reply budget of ``knowbench eval evowiki``
MAX_NEW_TOKENS = 24


def scores(row: EvoWikiRow, prediction: str) -> dict[str, float]:
    """Every metric of one reply, as ``knowbench eval evowiki`` computes it (``outdated`` for evolved rows)."""
    result = {
        "em_latest": float(exact_match(prediction, row.latest_names())),
        "em_all": float(exact_match(prediction, row.all_names())),
        "contains_latest": float(contains(prediction, row.latest_names())),
        "contains_all": float(contains(prediction, row.all_names())),
    }
    if row.state == "evolved":
        old = [a for v in row.all_answers if not v.current for a in v.names()]
        result["outdated"] = float(contains(prediction, old))
    return result


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    """lm-eval's ``process_results``: :func:`scores` of the one generation."""
    return scores(EvoWikiRow.from_row(doc), results[0])


def prompt_docs(dataset: Any, data: str, rag: str = "none", k: int = 5) -> Any:
    """Add the ``prompt`` column (the user turn of ``knowbench eval evowiki``) to a ``datasets.Dataset``."""
    from knowbench.loaders.evowiki import load_corpus

    corpus = load_corpus(data) if rag != "none" else {}

    def add(doc: dict[str, Any]) -> dict[str, str]:
        return {"prompt": _prompt(EvoWikiRow.from_row(doc), corpus, rag, k)[1]["content"]}

    fingerprint = hashlib.sha256(f"{dataset._fingerprint}|{data}|{rag}|{k}".encode()).hexdigest()[:16]
    return dataset.map(add, new_fingerprint=fingerprint)


def _retrievers(files: list[str]) -> list[str]:
    """The retrieval fields of a state's rows, as the loader's typed row names them."""
    import pyarrow.parquet as pq

    first = pq.ParquetFile(files[0]).read_row_group(0).slice(0, 1).to_pylist()
    return sorted(EvoWikiRow.from_row(first[0]).retrieval) if first else []


def build_export(data: str | os.PathLike[str], retriever: str | None = None, k: int = 5) -> Export:
    """Tasks for every state with rows in the built folder ``data``; RAG tasks when it has a retrieval field."""
    if k < 1:
        raise ConfigError(f"k must be >= 1, got k={k}")
    folder = str(Path(data).resolve())
    export = Export("evowiki", manifest={"data": folder, "build_id": read_provenance(data).get("build_id"),
                                         "retriever": None, "k": k})
    closed, rag_tasks, skipped = [], [], []
    for state in STATES:
        files = split_files(data, state, "test")
        if not files:
            skipped.append(state)
            continue
        known = _retrievers(files)
        chosen = retriever or ("bm25" if "bm25" in known else (known[0] if known else None))
        if retriever is not None and retriever not in known:
            raise UnknownNameError("EvoWiki retrieval field", retriever, known)
        common = {
            **parquet_source(files),
            "output_type": "generate_until",
            "description": SYSTEM + "\n\n",  # the harness joins it to the prompt as is
            "doc_to_text": "{{prompt}}",
            "doc_to_target": "{{answer}}",
            "generation_kwargs": {"until": [], "max_gen_toks": MAX_NEW_TOKENS, "do_sample": False,
                                  "temperature": 0.0},
            "process_results": export.fn("process_results"),
            "metric_list": mean_metrics([*METRICS, *(["outdated"] if state == "evolved" else [])]),
        }
        export.add_task(f"evowiki_{state}", {**common, "process_docs": export.fn("closed_book_docs")})
        closed.append(f"evowiki_{state}")
        if chosen is not None:
            export.add_task(f"evowiki_{state}_rag", {**common, "process_docs": export.fn("rag_docs")})
            rag_tasks.append(f"evowiki_{state}_rag")
            export.manifest["retriever"] = chosen
    if closed:
        export.add_group("evowiki", closed, METRICS)
    if rag_tasks:
        export.add_group("evowiki_rag", rag_tasks, METRICS)
    export.manifest["skipped_states"] = skipped
    export.utils = utils_source(
        __name__, ["process_results", "prompt_docs"],
        {"DATA": folder, "RETRIEVER": export.manifest["retriever"] or "none", "K": k},
        ["def closed_book_docs(dataset):\n    return prompt_docs(dataset, DATA)",
         "def rag_docs(dataset):\n    return prompt_docs(dataset, DATA, RETRIEVER, K)"],
    )
    return export
