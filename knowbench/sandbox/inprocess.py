"""``InProcessSandbox``: plain ``exec`` in the evaluator's own process. UNSAFE: the benchmark baseline only.

This is what the official ToolHop evaluation does; a tool can read and write any file, open sockets, fork or
exhaust memory. It exists so ``bench/bench_sandbox.py`` can measure what the real sandbox costs.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import time
from types import CodeType
from typing import Any

from knowbench.sandbox._source import example_calls as _example_calls
from knowbench.sandbox._source import strip_example_usage
from knowbench.sandbox.interface import SandboxLimits, ToolResult


class InProcessSandbox:
    """Same interface as :class:`~knowbench.sandbox.ToolSandbox`, no isolation at all (limits are ignored).

    Example:
        >>> InProcessSandbox().call("def f(x):\\n    return x * 2", "f", {"x": 21}).value
        42
    """

    def __init__(self, workers: int = 1, limits: SandboxLimits | None = None) -> None:
        self.limits = limits or SandboxLimits()
        self._cache: dict[str, CodeType] = {}

    def call(self, source: str, fn_name: str, arguments: dict[str, Any], timeout: float | None = None) -> ToolResult:
        started = time.perf_counter()
        key = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
        stdout = io.StringIO()
        try:
            code = self._cache.get(key)
            if code is None:
                code = self._cache[key] = compile(strip_example_usage(source), "<toolhop>", "exec")
            namespace: dict[str, Any] = {"__name__": "__toolhop__"}
            with contextlib.redirect_stdout(stdout):
                exec(code, namespace)
                function = namespace.get(fn_name)
                if not callable(function):
                    return ToolResult(False, None, f"the source defines no function {fn_name!r}", "not_found",
                                      stdout.getvalue(), time.perf_counter() - started)
                value = function(**arguments)
        except MemoryError as error:
            return ToolResult(False, None, f"MemoryError: {error}", "memory", stdout.getvalue(),
                              time.perf_counter() - started)
        except Exception as error:
            return ToolResult(False, None, f"{type(error).__name__}: {error}", "exception", stdout.getvalue(),
                              time.perf_counter() - started)
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            value = repr(value)
        return ToolResult(True, value, None, None, stdout.getvalue(), time.perf_counter() - started)

    def example_calls(self, source: str, fn_name: str) -> list[dict[str, Any]]:
        return _example_calls(source, fn_name)

    def close(self) -> None:
        self._cache.clear()

    def __enter__(self) -> InProcessSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
