"""ToolHop source: read and validate the official file (JSON list or JSONL), locally or from the Hub.

ToolHop (Ye et al., 2025, arXiv 2501.02506) has 995 multi-hop queries with 3,912 locally executable tools. Each row:
``id``, ``question``, ``answer``, ``sub_task`` (sub-question -> answer), ``tools`` (sub-question -> OpenAI-style
function schema), ``functions`` (Python sources, one per tool, in hop order), ``domain``, ``answer_type``,
``previous_answer_type``.

Example:
    >>> from knowbench.datasets_src.toolhop import read_rows  # doctest: +SKIP
    >>> rows = read_rows("toolhop_sample70.json")  # doctest: +SKIP
    >>> rows[0].hop_order[0]  # doctest: +SKIP
    'Who is the father of Raoul I Of Brienne, Count Of Eu?'
"""

from knowbench.datasets_src.toolhop.reader import (
    HUB_FILE,
    HUB_REPO_ID,
    HUB_REVISION,
    SourceRow,
    download,
    read_rows,
    validate_row,
)

__all__ = ["HUB_FILE", "HUB_REPO_ID", "HUB_REVISION", "SourceRow", "download", "read_rows", "validate_row"]
