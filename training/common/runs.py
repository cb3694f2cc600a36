"""What the training baselines share around the one run folder (:class:`knowbench.io.RunFolder`): seeds,
random-generator state for checkpoints, and plots.

A run folder holds ``config.json`` (what the run is; resuming with another config is refused), ``metrics.json``
(merged as stages finish), ``stages/<name>.json`` (results of finished stages, so a restarted run skips them),
``checkpoints/<name>.pt`` (written through a temporary file and a rename, never half-written) and ``plots/``.

Example:
    >>> import tempfile, pathlib
    >>> from knowbench.io import RunFolder
    >>> run = RunFolder(pathlib.Path(tempfile.mkdtemp()) / "run", {"seed": 1})
    >>> run.stage("count", lambda: {"facts": 3})
    {'facts': 3}
    >>> run.stage("count", lambda: 1 / 0)  # finished stages are not run again
    {'facts': 3}
"""

from __future__ import annotations

import io
import os
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from knowbench.io import atomic_write_bytes

__all__ = ["plot_curves", "rng_state", "seed_everything", "set_rng_state"]


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU) so a run with the same seed repeats exactly."""
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    """The state of every random generator a training loop touches (stored in checkpoints)."""
    import torch

    return {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}


def set_rng_state(state: Mapping[str, Any]) -> None:
    import torch

    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])


def plot_curves(
    path: str | os.PathLike[str],
    curves: Mapping[str, tuple[list[float], list[float]]],
    xlabel: str,
    ylabel: str,
    title: str = "",
) -> Path:
    """Line plot of several named (x, y) curves into a PNG (matplotlib Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    for name, (xs, ys) in curves.items():
        axis.plot(xs, ys, label=name)
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    if title:
        axis.set_title(title)
    if len(curves) > 1:
        axis.legend()
    figure.tight_layout()
    path = Path(path)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    atomic_write_bytes(path, buffer.getvalue())
    return path
