"""ToolHop evaluation: scenarios, sandboxed tool execution, judges and the paper's Table 4 report.

Example:
    >>> from knowbench.training.toolhop import EvalSettings, run_eval  # doctest: +SKIP
    >>> run_eval("out/toolhop", "transformers:smollm2", EvalSettings("mandatory"), "runs/mandatory", limit=3)
    ... # doctest: +SKIP
"""

from knowbench.training.toolhop.harness import EvalSettings, evaluate
from knowbench.training.toolhop.judge import JUDGES, extract_answer, typed_match
from knowbench.training.toolhop.run import report_from_run, run_eval

__all__ = [
    "JUDGES",
    "EvalSettings",
    "evaluate",
    "extract_answer",
    "report_from_run",
    "run_eval",
    "typed_match",
]
