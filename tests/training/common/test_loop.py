"""The resumable loop: a run stopped after a checkpoint and restarted ends exactly like an uninterrupted one."""

from __future__ import annotations

import itertools
import math

import pytest

from knowbench.errors import ConfigError, RunStateError
from knowbench.io import RunFolder
from knowbench.training.common.loop import LoopConfig, lr_factor, train_loop
from knowbench.training.common.runs import seed_everything

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
torch.set_num_threads(1)


def _model(seed: int):
    seed_everything(seed)
    config = transformers.LlamaConfig(
        vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=16,
    )
    return transformers.LlamaForCausalLM(config)


def _batches(step: int):
    generator = torch.Generator().manual_seed(1000 + step)
    return [torch.randint(0, 50, (2, 8), generator=generator) for _ in range(2)]


def _loss(model, ids):
    return model(input_ids=ids, labels=ids).loss


def _run(tmp_path, name, stop_after=None):
    config = LoopConfig(steps=6, lr=3e-3, warmup_steps=2, checkpoint_every=4)
    run = RunFolder(tmp_path / name, {"seed": 0})
    model = _model(0)
    result = train_loop(model, _batches, _loss, config, run, "lm", progress=False, stop_after=stop_after)
    return model, result


def test_resume_after_stop_equals_uninterrupted(tmp_path):
    straight, full = _run(tmp_path, "a")
    assert full.completed and len(full.losses) == 6 and full.losses[-1] < full.losses[0]
    _, part = _run(tmp_path, "b", stop_after=3)  # "killed" after 3 steps (checkpoint at step 3)
    assert not part.completed and len(part.losses) == 3
    resumed, rest = _run(tmp_path, "b")  # a fresh process would rebuild the model from the seed the same way
    assert rest.completed and rest.resumed_from == 3 and rest.steps_this_call == 3
    assert rest.losses == full.losses
    for (name, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    # a finished run is not trained again
    _, again = _run(tmp_path, "b")
    assert again.steps_this_call == 0 and again.losses == full.losses


def test_other_loop_config_is_refused(tmp_path):
    _run(tmp_path, "c", stop_after=1)
    run = RunFolder(tmp_path / "c", {"seed": 0})
    with pytest.raises(RunStateError, match="another loop config"):
        train_loop(_model(0), _batches, _loss, LoopConfig(steps=7), run, "lm", progress=False)


def test_lr_schedule_shape():
    config = LoopConfig(steps=10, lr=1.0, warmup_steps=2, min_lr_ratio=0.1)
    factors = [lr_factor(step, config) for step in range(10)]
    assert factors[:2] == [0.5, 1.0]  # linear warm-up over 2 steps
    # then a cosine from the peak towards min_lr_ratio over the 8 remaining steps
    cosine = [0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - 2) / 8)) for step in range(2, 10)]
    assert factors[2:] == pytest.approx(cosine)
    assert all(a > b for a, b in itertools.pairwise(factors[2:])) and factors[-1] > 0.1


def test_epoch_batches_cover_every_item_once_per_epoch_and_replay_after_a_restart():
    from knowbench.training.common.loop import EpochBatches

    def make(rows):
        return [rows.tolist()]

    batches = EpochBatches(23, batch_size=5, seed=7, make_batch=make)
    steps = 3 * batches.steps_per_epoch
    seen = [batches(step)[0] for step in range(steps)]
    for epoch in range(3):
        items = [i for rows in seen[epoch * 5 : (epoch + 1) * 5] for i in rows]
        assert sorted(items) == list(range(23))
    assert seen[:5] != seen[5:10]  # a new order each epoch
    restarted = EpochBatches(23, batch_size=5, seed=7, make_batch=make)
    assert [restarted(step)[0] for step in reversed(range(steps))] == seen[::-1]
    with pytest.raises(ConfigError, match="n_items=0"):
        EpochBatches(0, batch_size=5, seed=7, make_batch=make)
