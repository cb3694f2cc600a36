"""Run folders: config guard, stages, metrics, atomic checkpoints, plots."""

from __future__ import annotations

import pytest

from knowbench.errors import RunStateError
from knowbench.io import RunFolder
from knowbench.training.common.runs import plot_curves, rng_state, seed_everything, set_rng_state

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


def test_config_guard_and_resume(tmp_path):
    run = RunFolder(tmp_path / "r", {"seed": 1, "sizes": ("a", "b")})
    assert (tmp_path / "r" / "config.json").exists()
    # same config (tuple vs list does not matter) resumes
    RunFolder(tmp_path / "r", {"sizes": ["a", "b"], "seed": 1})
    with pytest.raises(RunStateError, match="seed: 1 -> 2"):
        RunFolder(tmp_path / "r", {"seed": 2, "sizes": ["a", "b"]})
    run.update_metrics({"x": 1})
    fresh = RunFolder(tmp_path / "r", {"seed": 2, "sizes": ["a", "b"]}, overwrite=True)
    assert fresh.metrics() == {}
    # volatile keys may change
    RunFolder(tmp_path / "r", {"seed": 2, "sizes": ["a", "b"], "progress": False}, volatile=("progress",))


def test_stages_run_once(tmp_path):
    calls = []
    run = RunFolder(tmp_path / "r", {})
    assert run.stage("s", lambda: calls.append(1) or {"n": len(calls)}) == {"n": 1}
    again = RunFolder(tmp_path / "r", {})
    assert again.stage("s", lambda: calls.append(1) or {"n": len(calls)}) == {"n": 1}
    assert calls == [1]


def test_checkpoint_roundtrip_and_rng(tmp_path):
    run = RunFolder(tmp_path / "r", {})
    assert run.load_checkpoint("m") is None
    seed_everything(3)
    state = rng_state()
    first = torch.rand(3)
    run.save_checkpoint("m", {"w": torch.arange(4.0), "rng": state})
    loaded = run.load_checkpoint("m")
    assert torch.equal(loaded["w"], torch.arange(4.0))
    set_rng_state(loaded["rng"])
    assert torch.equal(torch.rand(3), first)
    assert not list((tmp_path / "r" / "checkpoints").glob(".*"))  # no temporary files left
    run.checkpoint_path("bad").write_bytes(b"not a checkpoint")
    with pytest.raises(RunStateError, match="bad.pt"):
        run.load_checkpoint("bad")


def test_plot_curves(tmp_path):
    path = plot_curves(tmp_path / "p.png", {"a": ([0, 1], [1.0, 0.5]), "b": ([0, 1], [2.0, 1.0])}, "step", "loss")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
