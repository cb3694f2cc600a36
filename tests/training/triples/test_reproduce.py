"""The paper's R^2 reproduced from its released numbers, the fit on a fact table, and the `smi` commands."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from knowbench.cli import main
from knowbench.errors import ConfigError, SourceFormatError
from knowbench.training.triples.metric import log2_bins, minmax, mutual_information, size_exponent
from knowbench.training.triples.reproduce import (
    FactTable,
    evaluate,
    join_accuracy,
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
    with pytest.raises(SourceFormatError, match=r"bad.json: fact 1: time_s1j1='x' is not a number"):
        load_merge_output(bad)


def test_evaluate_keeps_one_bin_fits_only_when_not_strict():
    counts = [np.full(3, 100.0), np.full(3, 10.0), np.full(3, 10.0), np.array([5.0, 5.0, 0.0])]
    table = FactTable(*counts, accuracy=np.array([0.2, 0.4, 0.9]))  # two equal facts with MI > 0, one without
    result = evaluate(table, p=size_exponent(70e6), strict=False)
    assert result.kept.tolist() == [True, True, False] and result.facts == 2 and result.facts_total == 3
    assert all(not fit.has_line and fit.bin_accuracy.tolist() == [pytest.approx(0.3)] for fit in result.fits.values())
    with pytest.raises(ConfigError, match="at least 2 distinct score values"):
        evaluate(table, p=size_exponent(70e6))


def test_join_accuracy_keeps_the_facts_with_an_accuracy_in_table_order(shared_data):
    table = load_merge_output(shared_data / "smi/merge_outputs/pythia-70m.json.gz")
    picked = {(table.subjects[i], table.relations[i], table.objects[i]): 0.5 + i / 1e5 for i in (40, 7)}
    joined = join_accuracy(table, picked)
    assert joined.subjects == (table.subjects[7], table.subjects[40])
    assert joined.accuracy.tolist() == [0.5 + 7 / 1e5, 0.5 + 40 / 1e5] and joined.n_so[1] == table.n_so[40]
    with pytest.raises(SourceFormatError, match="no fact of the accuracy file matches a counted fact"):
        join_accuracy(table, {("nobody", "r", "nothing"): 1.0})
