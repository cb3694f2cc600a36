"""Program-of-thought solutions: run the code in the sandbox and read the value each statement assigns.

Each top-level statement is one step. The program is wrapped in a function that, after each statement, records the
numbers it assigned (or printed); the wrapped source runs in :mod:`knowbench.sandbox` (a confined subprocess by
default), never in the analysing process.

Example:
    >>> from knowbench.sandbox import InProcessSandbox
    >>> run_program([(1, "a = 16 * 0.75"), (2, "b = a * 2"), (3, "print(b)")], sandbox=InProcessSandbox())
    {1: (12.0,), 2: (24.0,), 3: (24.0,)}
"""

from __future__ import annotations

import ast
import atexit
import math
from collections.abc import Sequence
from typing import Any

from knowbench.training.mwpes.steps import parse_quietly

_FUNCTION = "_kb_trace"
_shared: list[Any] = []


def trace_source(steps: Sequence[tuple[int, str]]) -> str | None:
    """The program wrapped in ``_kb_trace()``, which returns ``{step: [values]}``; ``None`` if it does not parse."""
    lines: list[str] = []
    step_of_line: list[int] = []
    for number, text in steps:
        for line in text.split("\n"):
            lines.append(line.rstrip())
            step_of_line.append(number)
    tree = parse_quietly("\n".join(lines))
    if tree is None:
        return None
    body = [f"def {_FUNCTION}():", "    _kb_values = {}"]
    for statement in tree.body:
        segment = ast.get_source_segment("\n".join(lines), statement) or ""
        number = step_of_line[statement.lineno - 1]
        recorded = _recorded(statement)
        body.append("    try:")
        body.extend("        " + line for line in segment.split("\n"))
        if recorded:
            body.append(f"        _kb_values.setdefault({str(number)!r}, []).extend([{', '.join(recorded)}])")
        body.append("    except Exception as _kb_error:")
        body.append(f"        _kb_values.setdefault('error', {str(number)!r})")
    body.append("    return {k: [float(v) for v in vs if isinstance(v, (int, float)) and not isinstance(v, bool)]"
                " if k != 'error' else vs for k, vs in _kb_values.items()}")
    return "\n".join(body)


def _recorded(statement: ast.stmt) -> list[str]:
    """Expressions whose values a statement produces: assigned names, or the arguments of ``print``."""
    if isinstance(statement, ast.Assign):
        return [ast.unparse(t) for t in statement.targets if isinstance(t, ast.Name)]
    if isinstance(statement, ast.AugAssign | ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return [statement.target.id]
    if (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Name) and statement.value.func.id == "print"):
        out = []
        for argument in statement.value.args:  # print(f"... {total} ..."): the values in the text
            parts = [v.value for v in argument.values if isinstance(v, ast.FormattedValue)] \
                if isinstance(argument, ast.JoinedStr) else [argument]
            out += [ast.unparse(part) for part in parts]
        return out
    return []


def _sandbox() -> Any:
    if not _shared:
        from knowbench.sandbox import load_sandbox

        sandbox = load_sandbox("subprocess", workers=1)
        atexit.register(sandbox.close)
        _shared.append(sandbox)
    return _shared[0]


def run_program(steps: Sequence[tuple[int, str]], sandbox: Any = None) -> dict[int, tuple[float, ...]]:
    """``{step number: values it assigned or printed}``; steps after a failing statement get nothing.

    ``sandbox`` is any object with the :class:`knowbench.sandbox.ToolSandbox` ``call`` method (default: one shared
    subprocess sandbox).
    """
    source = trace_source(steps)
    if source is None:
        return {}
    result = (sandbox or _sandbox()).call(source, _FUNCTION, {})
    if not result.ok or not isinstance(result.value, dict):
        return {}
    failed = result.value.get("error")
    out = {}
    for key, values in result.value.items():
        if key == "error" or not isinstance(values, list):
            continue
        if failed is not None and int(key) > int(failed):
            continue
        out[int(key)] = tuple(float(v) for v in values if isinstance(v, int | float) and math.isfinite(v))
    return out
