"""The value types of the sandbox interface: limits of one call and the result of one call."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from knowbench.errors import ConfigError

ERROR_KINDS = ("exception", "timeout", "memory", "violation", "crash", "output", "not_found", "bad_arguments")


@dataclass(frozen=True)
class SandboxLimits:
    """What one tool call may use. Every value must be positive.

    Example:
        >>> SandboxLimits(cpu_seconds=1.0).wall_seconds
        5.0
    """

    cpu_seconds: float = 2.0
    wall_seconds: float = 5.0
    memory_bytes: int = 512 * 2**20
    max_output_bytes: int = 64 * 2**10
    max_open_files: int = 64
    max_file_bytes: int = 16 * 2**20
    recursion_limit: int = 1000

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
                raise ConfigError(f"SandboxLimits.{name} must be a positive number, got {value!r}")
        if self.max_open_files < 8:
            raise ConfigError(f"SandboxLimits.max_open_files must be at least 8, got {self.max_open_files!r}")
        if self.memory_bytes < 64 * 2**20:
            raise ConfigError(f"SandboxLimits.memory_bytes must be at least 64 MiB, got {self.memory_bytes!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one tool call.

    ``value`` is JSON-able (other values arrive as their ``repr``); ``error_kind`` is one of :data:`ERROR_KINDS`
    when ``ok`` is False; ``stdout`` is what the call printed (bounded), never the evaluator's own stdout.

    Example:
        >>> ToolResult(ok=True, value=15).error_kind is None
        True
    """

    ok: bool
    value: Any = None
    error: str | None = None
    error_kind: str | None = None
    stdout: str = ""
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
