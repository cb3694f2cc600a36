"""A small resumable training loop: AdamW, warm-up + cosine schedule, atomic checkpoints, rich progress.

Batches come from ``batch_fn(step)``, a pure function of the step number (the data order is derived from the seed),
so a run killed after a checkpoint and restarted replays exactly the steps it had not done: the final weights and
losses equal those of an uninterrupted run with the same seed.

Example:
    >>> import tempfile, pathlib, torch
    >>> from knowbench.io import RunFolder
    >>> torch.manual_seed(0) and None
    >>> model = torch.nn.Linear(2, 1)
    >>> run = RunFolder(pathlib.Path(tempfile.mkdtemp()), {"demo": 1})
    >>> x = torch.ones(4, 2)
    >>> result = train_loop(model, lambda step: [x], lambda m, b: m(b).pow(2).mean(),
    ...                     LoopConfig(steps=3, lr=0.1), run, "demo", progress=False)
    >>> result.completed, len(result.losses)
    (True, 3)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from knowbench.errors import ConfigError, RunStateError
from knowbench.io import RunFolder
from knowbench.training.common.runs import rng_state, set_rng_state


class EpochBatches:
    """``batch_fn`` for :func:`train_loop`: step -> the batch of that step, from a per-epoch order of ``n_items``
    items drawn from ``seed`` alone (so any step can be recomputed after a restart).

    ``make_batch`` turns the item indices of one step into the loop's batch (a list of micro-batches).

    Example:
        >>> batches = EpochBatches(10, batch_size=4, seed=0, make_batch=lambda rows: [rows.tolist()])
        >>> batches.steps_per_epoch, [len(batches(step)[0]) for step in range(3)]
        (3, [4, 4, 2])
        >>> sorted(i for step in range(3) for i in batches(step)[0]) == list(range(10))  # each item once an epoch
        True
    """

    def __init__(self, n_items: int, batch_size: int, seed: int, make_batch: Callable[[Any], Sequence[Any]]) -> None:
        if n_items < 1 or batch_size < 1:
            raise ConfigError(f"need at least one item and batch_size >= 1, got n_items={n_items}, "
                              f"batch_size={batch_size}")
        self.n_items, self.batch_size, self.seed, self.make_batch = n_items, batch_size, seed, make_batch
        self.steps_per_epoch = -(-n_items // batch_size)
        self._orders: dict[int, Any] = {}

    def order(self, epoch: int) -> Any:
        """The permutation of the items in ``epoch`` (numpy, seeded by ``[seed, epoch]``)."""
        if epoch not in self._orders:
            import numpy as np

            self._orders[epoch] = np.random.default_rng([self.seed, epoch]).permutation(self.n_items)
        return self._orders[epoch]

    def __call__(self, step: int) -> Sequence[Any]:
        epoch, index = divmod(step, self.steps_per_epoch)
        return self.make_batch(self.order(epoch)[index * self.batch_size : (index + 1) * self.batch_size])


@dataclass(frozen=True)
class LoopConfig:
    """Optimiser and checkpoint settings of :func:`train_loop`."""

    steps: int
    lr: float = 1e-3
    warmup_steps: int = 0
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    checkpoint_every: int = 50

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ConfigError(f"steps must be >= 1, got steps={self.steps}")
        if self.lr <= 0:
            raise ConfigError(f"lr must be > 0, got lr={self.lr}")
        if self.checkpoint_every < 1:
            raise ConfigError(f"checkpoint_every must be >= 1, got checkpoint_every={self.checkpoint_every}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LoopResult:
    """What a (possibly partial) call of :func:`train_loop` did."""

    losses: list[float] = field(default_factory=list)
    completed: bool = False
    resumed_from: int = 0
    seconds: float = 0.0
    steps_this_call: int = 0


def lr_factor(step: int, config: LoopConfig) -> float:
    """Linear warm-up, then cosine decay to ``min_lr_ratio`` of the peak."""
    if config.warmup_steps and step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    span = max(1, config.steps - config.warmup_steps)
    progress = min(1.0, (step - config.warmup_steps) / span)
    return config.min_lr_ratio + (1 - config.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def _trainable_state(model: Any) -> dict[str, Any]:
    return {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}


def train_loop(
    model: Any,
    batch_fn: Callable[[int], Sequence[Any]],
    loss_fn: Callable[[Any, Any], Any],
    config: LoopConfig,
    run: RunFolder,
    name: str,
    progress: bool = True,
    stop_after: int | None = None,
    description: str | None = None,
) -> LoopResult:
    """Train ``model`` for ``config.steps`` steps, resuming from ``run``'s checkpoint ``name`` if there is one.

    ``batch_fn(step)`` returns the micro-batches of one optimiser step (gradients are averaged over them);
    ``loss_fn(model, micro_batch)`` returns a scalar tensor. Only parameters with ``requires_grad`` are optimised
    and checkpointed (frozen ones never change). ``stop_after`` ends this call after that many steps (after writing a
    checkpoint), as a kill would; calling again continues.
    """
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ConfigError(f"{name}: the model has no trainable parameters")
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.lr,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, config))
    result = LoopResult()
    state = run.load_checkpoint(name)
    if state is not None:
        if state.get("loop_config") != config.to_dict():
            raise RunStateError(f"{run.checkpoint_path(name)}: checkpoint was made with another loop config")
        missing = set(_trainable_state(model)) - set(state["params"])
        if missing:
            raise RunStateError(f"{run.checkpoint_path(name)}: checkpoint lacks parameters {sorted(missing)[:3]}")
        model.load_state_dict(state["params"], strict=False)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        set_rng_state(state["rng"])
        result.losses = list(state["losses"])
        result.seconds = float(state["seconds"])
        result.resumed_from = len(result.losses)
    start = len(result.losses)

    def save() -> None:
        run.save_checkpoint(
            name,
            {
                "params": _trainable_state(model),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": rng_state(),
                "losses": result.losses,
                "seconds": result.seconds,
                "loop_config": config.to_dict(),
            },
        )

    model.train()
    bar = None
    if progress and start < config.steps:
        from rich.progress import TextColumn

        from knowbench.progress import make_progress

        bar = make_progress(TextColumn("loss {task.fields[loss]}"))
        bar.start()
        task = bar.add_task(description or f"train {name}", total=config.steps, completed=start, loss="-")
    try:
        for step in range(start, config.steps):
            began = time.perf_counter()
            micro_batches = list(batch_fn(step))
            optimizer.zero_grad(set_to_none=True)
            total = 0.0
            for micro in micro_batches:
                loss = loss_fn(model, micro) / len(micro_batches)
                loss.backward()
                total += float(loss.detach())
            if config.grad_clip:
                torch.nn.utils.clip_grad_norm_(params, config.grad_clip)
            optimizer.step()
            scheduler.step()
            result.losses.append(total)
            result.seconds += time.perf_counter() - began
            result.steps_this_call += 1
            done = step + 1
            if bar is not None:
                bar.update(task, completed=done, loss=f"{total:.3f}")
            if done % config.checkpoint_every == 0 or done == config.steps:
                save()
            elif stop_after is not None and result.steps_this_call >= stop_after:
                save()
            if stop_after is not None and result.steps_this_call >= stop_after and done < config.steps:
                return result
    finally:
        if bar is not None:
            bar.stop()
    model.eval()
    result.completed = True
    return result
