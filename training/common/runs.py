"""Run folders shared by every training baseline: config, metrics, plots, atomic checkpoints, resume, seeds.

A run folder holds ``config.json`` (what the run is; resuming with another config is refused), ``metrics.json``
(merged as stages finish), ``stages/<name>.json`` (results of finished stages, so a restarted run skips them),
``checkpoints/<name>.pt`` (written through a temporary file and a rename, never half-written) and ``plots/``.

Example:
    >>> import tempfile, pathlib
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
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from knowbench.errors import RunStateError
from knowbench.io import atomic_write_bytes, atomic_write_json


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


def _canonical(obj: Any) -> Any:
    """JSON round trip so tuples/lists and key order never make equal configs look different."""
    return orjson.loads(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY))


class RunFolder:
    """One run's folder; creating it again with the same config resumes it.

    ``config`` must be JSON-able. Keys listed in ``volatile`` (e.g. a progress flag) may differ on resume.
    With ``overwrite=True`` an existing folder with another config is started afresh (its files are removed).

    Example:
        >>> import tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> run = RunFolder(root / "r", {"lr": 0.1})
        >>> run.update_metrics({"loss": 2.5}); run.metrics()["loss"]
        2.5
        >>> RunFolder(root / "r", {"lr": 0.2})
        Traceback (most recent call last):
        ...
        knowbench.errors.RunStateError: ...
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        config: Mapping[str, Any],
        overwrite: bool = False,
        volatile: tuple[str, ...] = (),
    ) -> None:
        self.path = Path(path)
        self.config = _canonical(dict(config))
        config_file = self.path / "config.json"
        if config_file.exists():
            old = orjson.loads(config_file.read_bytes())
            differs = {
                key
                for key in set(old) | set(self.config)
                if key not in volatile and old.get(key) != self.config.get(key)
            }
            if differs:
                if not overwrite:
                    detail = ", ".join(f"{k}: {old.get(k)!r} -> {self.config.get(k)!r}" for k in sorted(differs))
                    raise RunStateError(
                        f"{self.path}: run folder holds another config ({detail}); use a new --out or --overwrite"
                    )
                self._clear()
        self.path.mkdir(parents=True, exist_ok=True)
        for sub in ("stages", "checkpoints", "plots"):
            (self.path / sub).mkdir(exist_ok=True)
        atomic_write_json(config_file, self.config)

    def _clear(self) -> None:
        import shutil

        for child in self.path.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()

    # ----------------------------------------------------------------------------------------------- stages
    def stage_file(self, name: str) -> Path:
        return self.path / "stages" / f"{name}.json"

    def stage_done(self, name: str) -> bool:
        return self.stage_file(name).exists()

    def stage_result(self, name: str) -> Any:
        return orjson.loads(self.stage_file(name).read_bytes())

    def stage(self, name: str, compute: Callable[[], Any]) -> Any:
        """Return the stored result of stage ``name``, or compute, store (atomically) and return it."""
        if self.stage_done(name):
            return self.stage_result(name)
        result = _canonical(compute())
        atomic_write_json(self.stage_file(name), result)
        return result

    # ----------------------------------------------------------------------------------------------- metrics
    def metrics(self) -> dict[str, Any]:
        file = self.path / "metrics.json"
        return orjson.loads(file.read_bytes()) if file.exists() else {}

    def update_metrics(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Merge ``values`` into ``metrics.json`` (atomically) and return the whole mapping."""
        merged = self.metrics()
        merged.update(_canonical(dict(values)))
        atomic_write_json(self.path / "metrics.json", merged)
        return merged

    # ----------------------------------------------------------------------------------------------- checkpoints
    def checkpoint_path(self, name: str) -> Path:
        return self.path / "checkpoints" / f"{name}.pt"

    def save_checkpoint(self, name: str, state: Mapping[str, Any]) -> Path:
        """``torch.save`` ``state`` to ``checkpoints/<name>.pt`` atomically (temporary file, fsync, rename)."""
        import torch

        buffer = io.BytesIO()
        torch.save(dict(state), buffer)
        path = self.checkpoint_path(name)
        atomic_write_bytes(path, buffer.getvalue())
        return path

    def load_checkpoint(self, name: str) -> dict[str, Any] | None:
        """The state saved under ``name``, or None when there is none yet."""
        import torch

        path = self.checkpoint_path(name)
        if not path.exists():
            return None
        try:
            return torch.load(path, map_location="cpu", weights_only=False)
        except Exception as error:  # a checkpoint is written atomically, so this is corruption from outside
            raise RunStateError(f"{path}: unreadable checkpoint ({error})") from None

    def remove_checkpoint(self, name: str) -> None:
        self.checkpoint_path(name).unlink(missing_ok=True)

    # ----------------------------------------------------------------------------------------------- plots
    def plot_path(self, name: str) -> Path:
        return self.path / "plots" / name


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
