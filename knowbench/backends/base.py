"""The one interface every model backend implements, and the registry that builds backends from spec strings."""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from knowbench.errors import ConfigError
from knowbench.registry import Registry

#: Backend classes by scheme (the part of a spec before the first ':').
BACKENDS: Registry[type[ModelBackend]] = Registry("model backend")

# scheme -> module that registers it (imported on first use, so optional dependencies stay optional)
_BACKEND_MODULES = {
    "transformers": "knowbench.backends.transformers_backend",
    "openai": "knowbench.backends.openai_backend",
}


@dataclass(frozen=True)
class GenerationConfig:
    """Sampling settings; ``temperature=0`` means greedy decoding.

    Example:
        >>> GenerationConfig(temperature=0.7, top_p=0.95, n=10, max_new_tokens=256).n
        10
    """

    temperature: float = 0.0
    top_p: float = 1.0
    max_new_tokens: int = 256
    n: int = 1
    seed: int | None = None
    stop: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ConfigError(f"temperature must be >= 0, got temperature={self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p must be in (0, 1], got top_p={self.top_p}")
        if self.max_new_tokens < 1:
            raise ConfigError(f"max_new_tokens must be >= 1, got max_new_tokens={self.max_new_tokens}")
        if self.n < 1:
            raise ConfigError(f"n must be >= 1, got n={self.n}")
        if self.n > 1 and self.temperature == 0:
            raise ConfigError(f"n={self.n} samples with temperature=0 would all be identical: set a temperature")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


@dataclass(frozen=True)
class ToolCall:
    """A structured tool call emitted by a model (OpenAI-style), with arguments already decoded."""

    name: str
    arguments: dict[str, Any]
    id: str = ""
    raw_arguments: str = ""
    #: why the call could not be decoded (arguments not JSON, ...); empty for a well-formed call
    error: str = ""


@dataclass(frozen=True)
class Completion:
    """One generated continuation."""

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class ModelBackend(ABC):
    """Generates text for batches of chat conversations or raw prompts.

    Subclasses set :attr:`model_name` (recorded on every sample) and register with ``@BACKENDS.register(scheme)``;
    the constructor takes the spec's remainder (``"smollm2"`` in ``"transformers:smollm2"``) plus keyword options.
    """

    model_name: str = "unknown"
    #: whether passing many prompts at once is faster than one by one
    supports_batching: bool = False
    #: whether :meth:`chat` returns structured tool calls when ``tools`` are given
    supports_tools: bool = False

    @abstractmethod
    def chat(
        self,
        conversations: list[list[dict[str, Any]]],
        config: GenerationConfig,
        tools: list[dict[str, Any]] | None = None,
    ) -> list[list[Completion]]:
        """Continue each conversation (OpenAI message dicts); returns ``config.n`` completions per conversation."""

    @abstractmethod
    def complete(self, prompts: list[str], config: GenerationConfig) -> list[list[Completion]]:
        """Continue raw text prompts (no chat template); returns ``config.n`` completions per prompt."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (servers, models)."""


def load_backend(spec: str, **options: Any) -> ModelBackend:
    """Build a backend from ``"scheme:rest"``; unknown schemes raise with the known ones.

    Example:
        >>> load_backend("vllm:x")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        knowbench.errors.UnknownNameError: unknown model backend 'vllm'. Known: openai, ...
    """
    scheme, _, rest = spec.partition(":")
    if scheme in _BACKEND_MODULES and scheme not in BACKENDS:
        importlib.import_module(_BACKEND_MODULES[scheme])
    if scheme not in BACKENDS:
        from knowbench.errors import UnknownNameError

        raise UnknownNameError("model backend", scheme, set(_BACKEND_MODULES) | set(BACKENDS.names()))
    return BACKENDS.get(scheme)(rest, **options)
