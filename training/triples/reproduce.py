"""Reproduce the SMI paper's R^2 from its released numbers (arXiv 2502.04066).

* :func:`reproduce_merge_output`: a released ``merge_outputs/<model>.json`` (plain or gzipped; per fact
  ``time_seqs`` = N, ``time_subj`` = N_s, ``time_obj`` = N_o, ``time_s1j1`` = N_so and that model's ``acc``): R^2 of
  SMI, MI and co-occurrence, computed from the counts by :mod:`knowbench.training.triples.metric` (``P = log2`` of the parameter
  count, as in the paper's later versions).
* :func:`reproduce_v1`: the first version's spreadsheet (``N, N_s, N_o, N_so`` and ``ACC_<size>B`` columns; ``P`` in
  billions of parameters).

Example (the released ``pythia-12b.json.gz`` with ``12e9`` gives the paper's R^2 = 0.86; here three facts):
    >>> import json, pathlib, tempfile
    >>> rows = [{"subj": s, "rel": "r", "obj": "o", "time_seqs": 100, "time_subj": n, "time_obj": n, "time_s1j1": so,
    ...          "acc": acc} for s, n, so, acc in (("A", 10, 2, 0.1), ("B", 20, 8, 0.5), ("C", 40, 30, 0.9))]
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "pythia-70m.json"
    >>> _ = path.write_text(json.dumps(rows))
    >>> result = reproduce_merge_output(path, 70e6)
    >>> result.facts, {method: round(r2, 3) for method, r2 in result.r2.items()}
    (3, {'smi': 1.0, 'mi': 0.999, 'co': 0.999})
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowbench.errors import MissingInputError, SourceFormatError
from knowbench.io import read_json
from knowbench.training.triples.metric import METHODS, BinFit, PConvention, fit_bins, scores, size_exponent

_MERGE_FIELDS = ("time_seqs", "time_subj", "time_obj", "time_s1j1", "acc")


@dataclass(frozen=True)
class FactTable:
    """Counts and accuracy per fact, as numpy arrays of equal length."""

    n_docs: np.ndarray
    n_s: np.ndarray
    n_o: np.ndarray
    n_so: np.ndarray
    accuracy: np.ndarray
    subjects: tuple[str, ...] = ()
    relations: tuple[str, ...] = ()
    objects: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.n_docs.size)


@dataclass(frozen=True)
class Reproduction:
    """R^2 (and the full fits) of SMI, MI and co-occurrence on one fact table."""

    p: float
    fits: dict[str, BinFit]
    facts_total: int
    facts: int
    kept: np.ndarray | None = None  # per fact of the table: MI > 0 (the facts the fits use)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def r2(self) -> dict[str, float]:
        return {method: fit.r2 for method, fit in self.fits.items()}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f"r2_{m}": round(f.r2, 6) for m, f in self.fits.items()}
        out.update({f"mse_{m}": round(f.mse, 6) for m, f in self.fits.items()})
        out.update(facts=self.facts, facts_total=self.facts_total, p=round(self.p, 6), **self.extra)
        return out


def evaluate(table: FactTable, p: float, strict: bool = True) -> Reproduction:
    """Fit SMI (with size term ``p``), MI and co-occurrence against the table's accuracy (facts with MI > 0).

    ``strict=False`` keeps a fit without a line where the scores fall into fewer than two bins
    (see :func:`~knowbench.training.triples.metric.fit_bins`).

    Example:
        >>> table = FactTable(*(np.array(v, dtype=float) for v in ([100] * 3, [10, 20, 40], [10, 20, 40], [2, 8, 30],
        ...                                                         [0.1, 0.5, 0.9])))
        >>> result = evaluate(table, p=size_exponent(70e6))
        >>> result.facts, round(result.r2["mi"], 3)
        (3, 0.999)
    """
    fits = {}
    kept = None
    for method in METHODS:
        s = scores(method, table.n_docs, table.n_s, table.n_o, table.n_so, p=p)
        kept = s.kept
        fits[method] = fit_bins(s.values, table.accuracy[s.kept], strict=strict)
    assert kept is not None
    return Reproduction(p, fits, len(table), int(kept.sum()), kept)


def load_merge_output(path: str | os.PathLike[str]) -> FactTable:
    """Read a released ``merge_outputs`` JSON list (``.json`` or ``.json.gz``)."""
    path = Path(path)
    rows = read_json(path, list, "a JSON list of facts")
    if not rows:
        raise SourceFormatError(path, None, "expected a non-empty JSON list of facts")
    columns: dict[str, list[float]] = {name: [] for name in _MERGE_FIELDS}
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise SourceFormatError(path, f"fact {index + 1}", f"expected an object, got {type(row).__name__}")
        for name in _MERGE_FIELDS:
            value = row.get(name)
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise SourceFormatError(path, f"fact {index + 1}", f"{name}={value!r} is not a number")
            columns[name].append(value)
    return FactTable(
        *(np.asarray(columns[name], dtype=np.float64) for name in _MERGE_FIELDS),
        subjects=tuple(str(r.get("subj", "")) for r in rows),
        relations=tuple(str(r.get("rel", "")) for r in rows),
        objects=tuple(str(r.get("obj", "")) for r in rows),
    )


def reproduce_merge_output(
    path: str | os.PathLike[str], n_params: float, convention: PConvention = "log2"
) -> Reproduction:
    """R^2 of SMI / MI / co-occurrence for one released model file."""
    return evaluate(load_merge_output(path), size_exponent(n_params, convention))


_V1_ACC = re.compile(r"^ACC_(\d+(?:\.\d+)?)B$")


def read_v1_frame(path: str | os.PathLike[str]) -> Any:
    """The first version's sheet as a pandas DataFrame."""
    import pandas as pd

    try:
        return pd.read_excel(path)
    except FileNotFoundError:
        raise MissingInputError(path, "spreadsheet") from None
    except Exception as error:  # openpyxl raises several types for bad files
        raise SourceFormatError(path, None, f"not a readable spreadsheet ({error})") from None


def load_v1_spreadsheet(source: str | os.PathLike[str] | Any) -> tuple[FactTable, dict[float, np.ndarray]]:
    """The first version's sheet (a path or its DataFrame): a count table and ``{size_in_billions: accuracy}``."""
    is_path = isinstance(source, str | os.PathLike)
    path = Path(source) if is_path else Path("v1-sheet")
    frame = read_v1_frame(path) if is_path else source
    missing = [c for c in ("N", "N_s", "N_o", "N_so") if c not in frame.columns]
    accuracy = {float(m.group(1)): frame[c].to_numpy(np.float64) for c in frame.columns if (m := _V1_ACC.match(str(c)))}
    if missing or not accuracy:
        raise SourceFormatError(path, "header", f"needs columns N, N_s, N_o, N_so and ACC_<size>B; missing {missing}")
    counts = [frame[c].to_numpy(np.float64) for c in ("N", "N_s", "N_o", "N_so")]
    for name, column in zip(("N", "N_s", "N_o", "N_so"), counts, strict=True):
        bad = np.flatnonzero(~np.isfinite(column) | (column < 0))
        if bad.size:
            raise SourceFormatError(path, f"row {int(bad[0]) + 2}", f"{name}={column[bad[0]]!r} is not a count")
    table = FactTable(*counts, accuracy=next(iter(accuracy.values())),
                      subjects=tuple(map(str, frame.get("subject", []))),
                      relations=tuple(map(str, frame.get("relation", []))),
                      objects=tuple(map(str, frame.get("object", []))))
    return table, accuracy


def reproduce_v1(source: str | os.PathLike[str] | Any) -> dict[float, Reproduction]:
    """R^2 per model size of the first version (``P`` = size in billions), keyed by that size."""
    table, accuracy = load_v1_spreadsheet(source)
    out = {}
    for size, acc in accuracy.items():
        model_table = FactTable(table.n_docs, table.n_s, table.n_o, table.n_so, acc)
        out[size] = evaluate(model_table, size_exponent(size * 1e9, "billions"))
    return out


def counts_table(path: str | os.PathLike[str]) -> FactTable:
    """Counts from a ``knowbench count`` output (folder or ``counts.jsonl``) or a released ``merge_outputs`` file
    (its accuracy column is kept but usually replaced by :func:`join_accuracy`)."""
    path = Path(path)
    if path.is_file() and path.name.endswith((".json", ".json.gz")):
        return load_merge_output(path)
    from knowbench.datasets_src.triples.runner import read_counts

    counts = read_counts(path)
    return FactTable(
        *(c.astype(np.float64) for c in (counts.n_docs, counts.n_s, counts.n_o, counts.n_so)),
        accuracy=np.full(len(counts.facts), np.nan),
        subjects=tuple(f.subject for f in counts.facts),
        relations=tuple(f.relation for f in counts.facts),
        objects=tuple(f.object for f in counts.facts),
    )


def join_accuracy(table: FactTable, accuracy: dict[tuple[str, str, str], float]) -> FactTable:
    """The facts of ``table`` that have an accuracy, with that accuracy (joined on subject, relation, object)."""
    keys = list(zip(table.subjects, table.relations, table.objects, strict=True))
    rows = [i for i, key in enumerate(keys) if key in accuracy]
    if not rows:
        raise SourceFormatError("accuracy", None, "no fact of the accuracy file matches a counted fact "
                                "(joined on subject, relation, object)")
    pick = np.asarray(rows)
    return FactTable(
        table.n_docs[pick], table.n_s[pick], table.n_o[pick], table.n_so[pick],
        np.asarray([accuracy[keys[i]] for i in rows], np.float64),
        tuple(table.subjects[i] for i in rows), tuple(table.relations[i] for i in rows),
        tuple(table.objects[i] for i in rows),
    )
