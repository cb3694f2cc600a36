"""ToolHop as an lm-evaluation-harness task: ``toolhop_direct`` (the Direct scenario, no tools).

The prompt is knowbench's: the Direct system prompt (the task's ``description``, which the harness sends as the
system message under ``--apply_chat_template``) and the question. Generation stops at ``</answer>`` like
``knowbench eval toolhop --scenario direct``, and the reply is scored by the very judges of that command:
``typed`` (knowbench's default) and ``containment`` (the official ToolHop substring rule).

Example:
    >>> doc = {"answer": "137", "answer_type": "number"}
    >>> process_results(doc, ["It is <answer>-137"])
    {'typed': 0.0, 'containment': 1.0}
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from knowbench.backends.base import Completion
from knowbench.training.common.lm_eval import Export, mean_metrics, parquet_source, split_files, utils_source
from knowbench.training.toolhop.harness import EvalSettings, _close_answer
from knowbench.training.toolhop.judge import JUDGES
from knowbench.training.toolhop.prompts import SYSTEM_PROMPTS

TASK = "toolhop_direct"
METRICS = ("typed", "containment")


def reply_text(generation: str) -> str:
    """The reply as knowbench's harness sees it: the ``</answer>`` the stop sequence cut off is restored."""
    return _close_answer(Completion(generation, finish_reason="stop"))


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    """Both judges on one generation (lm-eval's ``process_results``)."""
    reply = reply_text(results[0])
    return {name: float(JUDGES.get(name)(reply, doc["answer"], doc["answer_type"])) for name in METRICS}


def build_export(data: str | os.PathLike[str], max_new_tokens: int | None = None) -> Export:
    """The ``toolhop_direct`` task over the built folder ``data``."""
    settings = EvalSettings("direct") if max_new_tokens is None else EvalSettings("direct", max_new_tokens=max_new_tokens)
    export = Export("toolhop", manifest={"data": str(Path(data).resolve())})
    export.add_task(TASK, {
        **parquet_source(split_files(data, "default", "test")),
        "output_type": "generate_until",
        "description": SYSTEM_PROMPTS["direct"] + "\n\n",  # the harness joins it to the prompt as is
        "doc_to_text": "{{question}}",
        "doc_to_target": "{{answer}}",
        "generation_kwargs": {"until": ["</answer>"], "max_gen_toks": settings.max_new_tokens, "do_sample": False,
                              "temperature": 0.0},
        "process_results": export.fn("process_results"),
        "metric_list": mean_metrics(METRICS),
    })
    export.utils = utils_source(__name__, ["process_results"])
    return export
