"""SMI, the size-dependent mutual information of a fact, its baselines and the bin-mean linear fit.

Formulas from Yu et al., "Can LLMs predict their knowledge retention? SMI" (arXiv 2502.04066) and its released
analysis code (facts restated, no code copied):

* counts are per document: ``N`` documents, ``N_s`` contain the subject, ``N_o`` the object, ``N_so`` both;
* ``MI = p_so * log2(p_so / (p_s * p_o))`` with ``p = count / N``; facts with ``MI <= 0`` are dropped;
* ``x = int(5 * log2(MI)) / 5``: 0.2-wide bins of ``log2 MI``. Python's ``int`` truncates toward zero, so for the
  (always negative) ``log2 MI`` a bin is rounded *up*: ``np.trunc`` reproduces it exactly;
* ``x_hat`` = min-max normalisation of ``x`` over the fact set, in ``[0, 1]``;
* ``SMI = x_hat ** (1 + 1 / P)`` with ``P`` the model size: billions of parameters in the paper's first version,
  ``log2`` of the parameter count in later versions (:func:`size_exponent`);
* baselines: co-occurrence (the same bins and normalisation applied to ``N_so``) and MI (``x_hat`` itself);
* fit: mean accuracy per distinct score value (bin), ordinary least squares of bin-mean accuracy on the bin value,
  ``R^2`` of that fit; ``MSE`` as the paper reports it: per bin, the mean squared distance of its facts' accuracies
  to the fitted line, averaged over bins.

Example:
    >>> import numpy as np
    >>> x = scores("smi", np.array([1e6, 1e6, 1e6]), np.array([10, 300, 50]), np.array([900, 2000, 80]),
    ...                np.array([5, 250, 40]), p=size_exponent(70e6))
    >>> x.kept.tolist(), [round(v, 3) for v in x.values.tolist()]
    ([True, True, True], [0.0, 1.0, 0.632])
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from knowbench.datasets_src.triples.count import mutual_information
from knowbench.errors import ConfigError
from knowbench.io import atomic_write_bytes

Method = Literal["smi", "mi", "co"]
METHODS: tuple[Method, ...] = ("smi", "mi", "co")
PConvention = Literal["log2", "billions"]


def size_exponent(n_params: float, convention: PConvention = "log2") -> float:
    """The model-size term ``P`` of SMI from a parameter count.

    ``"log2"`` (the paper's later versions): ``log2(n_params)``; ``"billions"`` (its first version):
    ``n_params / 1e9``.

    Example:
        >>> round(size_exponent(12e9), 3), size_exponent(13e9, "billions")
        (33.482, 13.0)
    """
    if not n_params > 0:
        raise ConfigError(f"the parameter count must be > 0, got {n_params}")
    if convention == "log2":
        return math.log2(n_params)
    if convention == "billions":
        return n_params / 1e9
    raise ConfigError(f"unknown P convention {convention!r}; use 'log2' or 'billions'")


def parse_params(text: str | float) -> float:
    """A parameter count from ``"70m"``, ``"1.1b"``, ``"12e9"`` or a number.

    Example:
        >>> parse_params("70m"), parse_params("1.1B"), parse_params("12e9")
        (70000000.0, 1100000000.0, 12000000000.0)
    """
    if isinstance(text, int | float):
        value = float(text)
    else:
        raw = text.strip().lower().replace("_", "")
        scale = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}.get(raw[-1:], 1.0)
        try:
            value = float(raw[:-1] if scale != 1.0 else raw) * scale
        except ValueError:
            raise ConfigError(f"not a parameter count: {text!r} (examples: 70m, 1.1b, 12e9)") from None
    if not value > 0:
        raise ConfigError(f"the parameter count must be > 0, got {text!r}")
    return value


def log2_bins(values: np.ndarray) -> np.ndarray:
    """``int(5 * log2(v)) / 5`` per value: truncation toward zero, as Python's ``int`` in the paper's code.

    Example:
        >>> log2_bins(np.array([2.0**-3.1, 2.0**-3.0, 2.0**0.3])).tolist()  # -3.1 -> -3.0, not floor's -3.2
        [-3.0, -3.0, 0.2]
    """
    values = np.asarray(values, dtype=np.float64)
    if np.any(values <= 0):
        raise ConfigError("log2 bins need values > 0 (drop facts with MI <= 0 or N_so = 0 first)")
    return np.trunc(np.log2(values) * 5) / 5


def minmax(values: np.ndarray) -> np.ndarray:
    """``(x - min) / (max - min)`` over the set; all zeros when every value is equal.

    Example:
        >>> minmax(np.array([-3.0, -2.0, -1.0])).tolist(), minmax(np.array([4.0, 4.0])).tolist()
        ([0.0, 0.5, 1.0], [0.0, 0.0])
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values
    low, high = values.min(), values.max()
    return np.zeros_like(values) if high == low else (values - low) / (high - low)


@dataclass(frozen=True)
class Scores:
    """Per-fact scores of one method: ``kept`` marks the facts with ``MI > 0``; ``values`` are for those only."""

    method: Method
    kept: np.ndarray
    values: np.ndarray


def scores(
    method: Method,
    n_docs: np.ndarray,
    n_s: np.ndarray,
    n_o: np.ndarray,
    n_so: np.ndarray,
    p: float | None = None,
) -> Scores:
    """SMI (needs ``p``, see :func:`size_exponent`), MI or co-occurrence scores in ``[0, 1]`` of facts with MI > 0."""
    mi = mutual_information(n_docs, n_s, n_o, n_so)
    kept = mi > 0
    if method == "co":
        return Scores(method, kept, minmax(log2_bins(np.asarray(n_so, dtype=np.float64)[kept])))
    x_hat = minmax(log2_bins(mi[kept]))
    if method == "mi":
        return Scores(method, kept, x_hat)
    if method == "smi":
        if p is None or not p > 0:
            raise ConfigError(f"SMI needs the model-size term P > 0, got P={p}")
        return Scores(method, kept, x_hat ** (1 + 1 / p))
    raise ConfigError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")


@dataclass(frozen=True)
class BinFit:
    """Least-squares line through the mean accuracy of each distinct score value.

    ``bins`` (sorted score values), ``bin_accuracy`` (mean per bin), ``bin_facts`` (facts per bin). With fewer than
    two bins there is no line: ``slope``, ``intercept``, ``r2`` and ``mse`` are NaN (see :func:`fit_bins`).
    """

    bins: np.ndarray
    bin_accuracy: np.ndarray
    bin_facts: np.ndarray
    slope: float
    intercept: float
    r2: float
    mse: float
    facts: int

    @property
    def has_line(self) -> bool:
        return not math.isnan(self.slope)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.slope * np.asarray(x, dtype=np.float64) + self.intercept

    def to_dict(self, points: bool = False) -> dict[str, Any]:
        """JSON-ready summary (NaN as None); ``points`` adds the bins (``bin_x``, ``bin_y``, ``bin_facts``).

        Example:
            >>> fit_bins(np.array([0.0, 0.0, 0.5, 1.0]), np.array([0.0, 0.2, 0.5, 1.0])).to_dict(points=True)["bin_y"]
            [0.1, 0.5, 1.0]
        """
        out: dict[str, Any] = {
            key: None if math.isnan(value) else value
            for key, value in (("slope", self.slope), ("intercept", self.intercept), ("r2", self.r2), ("mse", self.mse))
        }
        out.update(facts=self.facts, bins=int(self.bins.size))
        if points:
            out.update(bin_x=self.bins.tolist(), bin_y=self.bin_accuracy.tolist(), bin_facts=self.bin_facts.tolist())
        return out


def fit_bins(x: np.ndarray, accuracy: np.ndarray, strict: bool = True) -> BinFit:
    """Mean accuracy per distinct ``x``, OLS of those means on ``x``, R^2 and the paper's MSE.

    Fewer than two distinct ``x`` values give no line: an error when ``strict``, else a fit with NaN line figures
    (a tiny run whose scores all fell into one bin still reports its bin).

    Example:
        >>> fit = fit_bins(np.array([0.0, 0.0, 0.5, 1.0]), np.array([0.0, 0.2, 0.5, 1.0]))
        >>> round(fit.slope, 3), round(fit.intercept, 3), fit.bins.tolist()
        (0.9, 0.083, [0.0, 0.5, 1.0])
        >>> fit_bins(np.array([0.5, 0.5]), np.array([0.0, 1.0]), strict=False).to_dict()["slope"] is None
        True
    """
    x = np.asarray(x, dtype=np.float64)
    accuracy = np.asarray(accuracy, dtype=np.float64)
    if x.shape != accuracy.shape:
        raise ConfigError(f"{x.size} scores but {accuracy.size} accuracies")
    bins, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    means = np.bincount(inverse, weights=accuracy, minlength=bins.size) / np.maximum(counts, 1)
    if bins.size < 2:
        if strict:
            raise ConfigError(f"a fit needs at least 2 distinct score values, got {bins.size} from {x.size} facts")
        nan = float("nan")
        return BinFit(bins, means, counts, nan, nan, nan, nan, int(x.size))
    dx = bins - bins.mean()
    slope = float(np.dot(dx, means - means.mean()) / np.dot(dx, dx))
    intercept = float(means.mean() - slope * bins.mean())
    residual = means - (slope * bins + intercept)
    total = float(np.dot(means - means.mean(), means - means.mean()))
    r2 = 1.0 - float(np.dot(residual, residual)) / total if total > 0 else 0.0
    per_fact = (accuracy - (slope * x + intercept)) ** 2
    mse = float(np.mean(np.bincount(inverse, weights=per_fact) / counts))
    return BinFit(bins, means, counts, slope, intercept, r2, mse, int(x.size))


def plot_fits(
    path: str | os.PathLike[str],
    fits: Mapping[str, BinFit],
    points: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    title: str = "",
) -> Path:
    """Write a PNG with one panel per fit (titled by its name): the facts of ``points[name]`` (faint, when given),
    the bin means (sized by facts) and the fitted line (when there is one). Written atomically (Agg backend).

    Example:
        >>> import tempfile
        >>> fit = fit_bins(np.array([0.0, 0.5, 1.0]), np.array([0.1, 0.4, 0.9]))
        >>> plot_fits(Path(tempfile.mkdtemp()) / "fit.png", {"smi": fit}).read_bytes()[:4]
        b'\x89PNG'
    """
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(fits), figsize=(5 * len(fits), 4.5), sharey=True, squeeze=False)
    for axis, (name, fit) in zip(axes[0], fits.items(), strict=True):
        if points and name in points:
            x, accuracy = points[name]
            axis.scatter(x, accuracy, s=3, alpha=0.15, color="grey", label="facts")
        sizes = 12 + 60 * fit.bin_facts / max(1, int(fit.bin_facts.max(initial=0)))
        axis.scatter(fit.bins, fit.bin_accuracy, s=sizes, c=fit.bin_accuracy, cmap="viridis", vmin=0, vmax=1,
                     edgecolors="black", linewidths=0.5, label="bin mean accuracy", zorder=3)
        if fit.has_line:
            line_x = np.array([0.0, 1.0])
            sign = "+" if fit.intercept >= 0 else "-"
            axis.plot(line_x, fit.predict(line_x), color="crimson", linewidth=2,
                      label=f"y = {fit.slope:.3f}x {sign} {abs(fit.intercept):.3f}")
            axis.set_title(f"R² = {fit.r2:.3f}, MSE = {fit.mse:.3f}, {fit.facts:,} facts", fontsize=9)
        else:
            axis.set_title(f"no line (fewer than 2 bins), {fit.facts:,} facts", fontsize=9)
        axis.set_xlim(-0.02, 1.02)
        axis.set_ylim(-0.02, 1.02)
        axis.set_xlabel(name.upper())
        axis.legend(loc="upper left", fontsize=8)
        axis.grid(linestyle="--", alpha=0.4)
    axes[0][0].set_ylabel("accuracy")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120)
    plt.close(figure)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buffer.getvalue())
    return path
