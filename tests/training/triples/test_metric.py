"""The SMI metric: bins, scores, the bin-mean fit, its plot, parameter counts."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from knowbench.errors import ConfigError
from knowbench.training.triples.metric import (
    fit_bins,
    log2_bins,
    parse_params,
    plot_fits,
    scores,
    size_exponent,
)


def test_bins_truncate_toward_zero_like_python_int():
    values = np.array([2.0**-3.1, 2.0**-3.0, 2.0**-0.05, 2.0**0.3, 2.0**1.39])
    expected = [int(math.log2(v) * 5) / 5 for v in values]
    assert log2_bins(values).tolist() == expected
    assert log2_bins(np.array([2.0**-3.1]))[0] == -3.0  # not floor's -3.2
    with pytest.raises(ConfigError):
        log2_bins(np.array([0.0]))


def test_scores_drop_non_positive_mi_and_smi_needs_p():
    n = np.full(4, 1000.0)
    n_s, n_o, n_so = np.array([10, 10, 500, 10.0]), np.array([10, 20, 500, 30.0]), np.array([5, 0, 200, 9.0])
    s = scores("smi", n, n_s, n_o, n_so, p=10)
    assert s.kept.tolist() == [True, False, False, True]  # N_so = 0 and MI < 0 dropped
    assert s.values.min() == 0 and s.values.max() == 1
    with pytest.raises(ConfigError):
        scores("smi", n, n_s, n_o, n_so)


def test_fit_is_ols_on_bin_means_with_the_papers_mse(tmp_path):
    x = np.array([0.0, 0.0, 0.5, 1.0, 1.0, 1.0])
    acc = np.array([0.1, 0.3, 0.45, 0.8, 0.9, 1.0])
    fit = fit_bins(x, acc)
    assert fit.bins.tolist() == [0.0, 0.5, 1.0] and fit.bin_facts.tolist() == [2, 1, 3]
    slope, intercept = np.polyfit(fit.bins, fit.bin_accuracy, 1)
    assert fit.slope == pytest.approx(slope) and fit.intercept == pytest.approx(intercept)
    assert fit.r2 == pytest.approx(np.corrcoef(fit.bins, fit.bin_accuracy)[0, 1] ** 2)
    per_bin = [np.mean((acc[x == b] - (slope * b + intercept)) ** 2) for b in fit.bins]
    assert fit.mse == pytest.approx(np.mean(per_bin))
    png = plot_fits(tmp_path / "fit.png", {"smi": fit}, {"smi": (x, acc)})
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ConfigError, match="at least 2 distinct score values, got 1 from 3 facts"):
        fit_bins(np.zeros(3), np.zeros(3))


def test_a_fit_without_a_line_keeps_its_bin_when_not_strict():
    fit = fit_bins(np.array([0.5, 0.5, 0.5]), np.array([0.0, 0.5, 1.0]), strict=False)
    assert not fit.has_line and fit.bins.tolist() == [0.5] and fit.bin_accuracy.tolist() == [0.5]
    summary = fit.to_dict(points=True)
    assert summary["slope"] is None and summary["r2"] is None and summary["bin_facts"] == [3]
    json.dumps(summary)  # JSON-ready: no NaN


def test_parse_params():
    assert parse_params("135m") == 135e6 and parse_params("1.1B") == 1.1e9 and parse_params(12e9) == 12e9
    with pytest.raises(ConfigError):
        parse_params("big")


def test_size_exponent_conventions():
    assert size_exponent(2.0**20) == 20.0 and size_exponent(13e9, "billions") == 13.0
    with pytest.raises(ConfigError, match="unknown P convention 'ln'"):
        size_exponent(1e9, "ln")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="must be > 0"):
        size_exponent(0)
