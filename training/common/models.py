"""Model helpers every fine-tuning baseline shares: the local folder of a backend spec and selective layer tuning.

Example:
    >>> from knowbench.training.common.models import spread_layers
    >>> spread_layers(12, 0.25)  # 3 of 12 layers, first to last
    [0, 6, 11]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def model_folder(spec: str) -> Path:
    """A local model folder for ``spec`` (``smollm2`` -> the converted safetensors copy of the harness backend)."""
    from knowbench.backends.transformers_backend import resolve_model

    return resolve_model(spec)[0]


def spread_layers(n_layers: int, fraction: float) -> list[int]:
    """``round(fraction * n_layers)`` (at least 1) layer indices spread uniformly from first to last.

    Example:
        >>> spread_layers(30, 0.25)
        [0, 4, 8, 12, 17, 21, 25, 29]
    """
    k = max(1, min(n_layers, round(fraction * n_layers)))
    if k == 1:
        return [n_layers // 2]
    return sorted({round(i * (n_layers - 1) / (k - 1)) for i in range(k)})


def freeze_for_selective(model: Any, fraction: float) -> list[int]:
    """Freeze every parameter except those of the chosen decoder layers; returns their indices."""
    layers = model.model.layers
    chosen = spread_layers(len(layers), fraction)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    for index in chosen:
        for parameter in layers[index].parameters():
            parameter.requires_grad_(True)
    return chosen
