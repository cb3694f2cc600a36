"""SMI metric, fit and the reproduction of the paper's published R^2 from its released numbers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from knowbench.cli import main
from knowbench.errors import ConfigError, SourceFormatError
from knowbench.training.triples.metric import (
    fit_bins,
    log2_bins,
    minmax,
    mutual_information,
    parse_params,
    plot_fit,
    scores,
)
from knowbench.training.triples.reproduce import (
    load_merge_output,
    read_v1_frame,
    reproduce_merge_output,
    reproduce_v1,
)

# published in arXiv 2502.04066 (later version, The Pile counts): R^2 of SMI / MI / co-occurrence
PUBLISHED = {
    "pythia-70m": (70e6, {"smi": 0.43, "mi": 0.43, "co": 0.36}),
    "pythia-12b": (12e9, {"smi": 0.86, "mi": 0.85, "co": 0.60}),
}


@pytest.mark.parametrize("model", sorted(PUBLISHED))
def test_reproduces_published_r2(shared_data, model):
    n_params, published = PUBLISHED[model]
    result = reproduce_merge_output(shared_data / f"smi/merge_outputs/{model}.json.gz", n_params)
    for method, value in published.items():
        assert abs(result.r2[method] - value) <= 0.01, (method, result.r2[method], value)
    assert result.facts_total == 12671 and 0 < result.facts < result.facts_total


def test_mi_from_counts_equals_released_mi(shared_data):
    import gzip

    rows = json.loads(gzip.open(shared_data / "smi/merge_outputs/pythia-12b.json.gz").read())
    table = load_merge_output(shared_data / "smi/merge_outputs/pythia-12b.json.gz")
    mi = mutual_information(table.n_docs, table.n_s, table.n_o, table.n_so)
    released = np.asarray([r["mi"] for r in rows])
    positive = released > 0
    np.testing.assert_allclose(mi[positive], released[positive], rtol=1e-12)
    assert np.all(mi[~positive] <= 0)


@pytest.fixture(scope="module")
def v1_frame(shared_data):
    return read_v1_frame(shared_data / "smi/smi_v1_full_evaluation_set_and_metrics.xlsx")


def test_v1_spreadsheet_reproduces_r2_above_084_for_all_four_sizes(v1_frame):
    results = reproduce_v1(v1_frame)
    assert sorted(results) == [1.1, 1.6, 7.0, 13.0]
    for size, result in results.items():
        assert result.r2["smi"] > 0.84, (size, result.r2)
        assert result.r2["smi"] >= result.r2["mi"] > result.r2["co"]


def test_v1_binned_columns_match_the_sheet(v1_frame):
    """The sheet's own normalised MI and co-occurrence columns equal our bins + min-max (int() truncation)."""
    frame = v1_frame
    mi = mutual_information(frame.N, frame.N_s, frame.N_o, frame.N_so)
    np.testing.assert_allclose(minmax(log2_bins(mi)), frame.MI, atol=1e-12)
    np.testing.assert_allclose(minmax(log2_bins(frame.N_so.to_numpy(float))), frame["co-occurrence"], atol=1e-12)


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
    png = plot_fit(fit, tmp_path / "fit.png", x, acc)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ConfigError):
        fit_bins(np.zeros(3), np.zeros(3))


def test_parse_params():
    assert parse_params("135m") == 135e6 and parse_params("1.1B") == 1.1e9 and parse_params(12e9) == 12e9
    with pytest.raises(ConfigError):
        parse_params("big")


def test_cli_reproduce_json(shared_data, capsys):
    assert main(["smi", "reproduce", str(shared_data / "smi/merge_outputs/pythia-12b.json.gz"),
                 "--params", "12b", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"r2_smi", "r2_mi", "r2_co", "facts"}
    assert abs(out["r2_smi"] - 0.86) <= 0.01 and abs(out["r2_co"] - 0.60) <= 0.01


def test_cli_fit_on_released_counts_and_accuracy(shared_data, tmp_path, capsys):
    path = shared_data / "smi/merge_outputs/pythia-70m.json.gz"
    assert main(["smi", "fit", "--counts", str(path), "--accuracy", str(path), "--params", "70m", "--json",
                 "--plot", str(tmp_path / "fit.png")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert abs(out["r2_smi"] - 0.43) <= 0.01
    assert (tmp_path / "fit.png").stat().st_size > 1000


def test_bad_merge_output_names_file_and_fact(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"time_seqs": 1, "time_subj": 1, "time_obj": 1, "time_s1j1": "x", "acc": 0}]))
    with pytest.raises(SourceFormatError, match=r"bad.json: fact 0: time_s1j1='x' is not a number"):
        load_merge_output(bad)
