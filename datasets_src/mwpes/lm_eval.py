"""Ingest of ``lm_eval --log_samples`` files: the registered format ``lm-eval``
(:mod:`knowbench.datasets_src.mwpes.formats.lm_eval`) through :func:`~knowbench.datasets_src.mwpes.ingest.ingest`,
kept here under its first names for callers.

Example:
    >>> parse_samples_name("samples_mwpes_aqua_2026-12-02T07-34-07.431894.jsonl")[0]
    'mwpes_aqua'
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from knowbench.datasets_src.mwpes.formats.lm_eval import (
    FORMAT,
    generation_settings,
    model_name,
    parse_samples_name,
    read_samples,
)

__all__ = ["FORMAT", "generation_settings", "ingest_lm_eval", "model_name", "parse_samples_name", "read_samples"]


def ingest_lm_eval(solutions: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str]) -> dict[str, Any]:
    """Judge the generations of harness samples files into the run folder ``out``; returns counts (samples, wrong,
    added). Same as ``ingest(solutions, out, "lm-eval")``."""
    from knowbench.datasets_src.mwpes.ingest import ingest

    counts = ingest(list(solutions), out, FORMAT)
    return {key: counts[key] for key in ("samples", "wrong", "added")}
