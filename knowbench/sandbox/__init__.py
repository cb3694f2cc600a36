"""Sandboxed execution of dataset tool code (ToolHop's Python functions).

``ToolSandbox`` (registry name ``"subprocess"``, the default) runs every call in a fresh, confined child of a warm
worker process: no network, no writes outside a private temporary folder, no reading of the user's files, no
child processes, bounded CPU time, memory, open files, output and wall time. ``InProcessSandbox``
(``"inprocess"``) is plain ``exec`` in the evaluator, kept only as the benchmark baseline.

Example:
    >>> from knowbench.sandbox import SANDBOXES, SandboxLimits
    >>> with SANDBOXES.get("subprocess")(workers=1, limits=SandboxLimits(wall_seconds=3)) as sandbox:  # doctest: +SKIP
    ...     result = sandbox.call(source, "date_digit_sum", {"date_input": "11 July 1302"})
    >>> result.ok, result.value  # doctest: +SKIP
    (True, 15)
"""

from __future__ import annotations

from typing import Any

from knowbench.registry import Registry
from knowbench.sandbox._source import ExampleCall, example_calls, find_example_calls, strip_example_usage
from knowbench.sandbox.inprocess import InProcessSandbox
from knowbench.sandbox.interface import ERROR_KINDS, SandboxLimits, ToolResult
from knowbench.sandbox.pool import ToolSandbox

SANDBOXES: Registry[Any] = Registry("sandbox")
SANDBOXES.add("subprocess", ToolSandbox)
SANDBOXES.add("inprocess", InProcessSandbox)
DEFAULT_SANDBOX = "subprocess"


def load_sandbox(name: str = DEFAULT_SANDBOX, **options: Any) -> ToolSandbox | InProcessSandbox:
    """Create the sandbox registered under ``name`` (``workers=``, ``limits=`` pass through)."""
    return SANDBOXES.get(name)(**options)


__all__ = [
    "DEFAULT_SANDBOX",
    "ERROR_KINDS",
    "SANDBOXES",
    "ExampleCall",
    "InProcessSandbox",
    "SandboxLimits",
    "ToolResult",
    "ToolSandbox",
    "example_calls",
    "find_example_calls",
    "load_sandbox",
    "strip_example_usage",
]
