"""Static (``ast``-only) handling of a tool's source: strip its example usage, find its example calls.

Nothing here executes the source. This module imports only the standard library because the sandbox worker
(``_worker.py``, started with ``python -I -S``) loads it as a top-level module too.

Example:
    >>> src = "def add(a, b=1):\\n    return a + b\\n\\nprint(add(2, b=3))\\n# add(5)\\n"
    >>> [call.arguments for call in find_example_calls(src, "add")]
    [{'a': 2, 'b': 3}, {'a': 5}]
    >>> "print" in strip_example_usage(src)
    False
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_KEEP_ALWAYS = (ast.Import, ast.ImportFrom, *_DEFS)


def _called_names(node: ast.AST) -> set[str]:
    return {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def _target_names(node: ast.AST) -> set[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]  # type: ignore[attr-defined]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def strip_example_usage(source: str) -> str:
    """The source without its top-level "example usage": keeps imports, defs, classes and the assignments the
    definitions need; drops bare expressions (``print(f(...))``), ``if __name__ == ...`` blocks, loops, and
    assignments whose value calls a function defined in the source unless a definition reads the assigned name.

    Raises ``SyntaxError`` for source that does not parse.
    """
    tree = ast.parse(source)
    defined = {node.name for node in tree.body if isinstance(node, _DEFS)}
    used_in_defs = {
        n.id for node in tree.body if isinstance(node, _DEFS) for n in ast.walk(node) if isinstance(n, ast.Name)
    }
    body: list[ast.stmt] = []
    for index, node in enumerate(tree.body):
        if isinstance(node, _KEEP_ALWAYS):
            body.append(node)
        elif isinstance(node, ast.Expr) and index == 0 and isinstance(node.value, ast.Constant):
            body.append(node)  # module docstring
        elif isinstance(node, ast.Assign | ast.AnnAssign) and getattr(node, "value", None) is not None:
            calls_tool = bool(_called_names(node.value) & defined)  # type: ignore[arg-type]
            if not calls_tool or _target_names(node) & used_in_defs:
                body.append(node)
        elif isinstance(node, ast.Try) and all(isinstance(s, ast.Import | ast.ImportFrom) for s in node.body):
            body.append(node)  # try: import x / except ImportError: ...
    tree.body = body
    return ast.unparse(tree)


@dataclass(frozen=True)
class ExampleCall:
    """One call of the tool found in its source's top-level code (or in a commented-out line).

    ``arguments`` maps parameter names to literal values; ``problem`` says why a call could not be resolved
    (then ``arguments`` is empty and ``resolved`` is False).
    """

    line: int
    commented: bool
    arguments: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None

    @property
    def resolved(self) -> bool:
        return self.problem is None


_MISSING = object()


def _signature(tree: ast.Module, fn_name: str) -> ast.arguments | None:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == fn_name:
            return node.args
    return None


def _literal(node: ast.expr, constants: dict[str, Any]) -> Any:
    """The literal value of ``node``; names resolve through top-level constant assignments."""
    if isinstance(node, ast.Name):
        return constants.get(node.id, _MISSING)
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    if isinstance(node, ast.List | ast.Tuple | ast.Set):  # containers holding constant names
        items = [_literal(item, constants) for item in node.elts]
        if any(item is _MISSING for item in items):
            return _MISSING
        return {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)](items)
    if isinstance(node, ast.Dict) and None not in node.keys:
        keys = [_literal(k, constants) for k in node.keys]  # type: ignore[arg-type]
        values = [_literal(v, constants) for v in node.values]
        if _MISSING in keys or any(v is _MISSING for v in values):
            return _MISSING
        try:
            return dict(zip(keys, values, strict=True))
        except TypeError:
            return _MISSING
    return _MISSING


def _bind(call: ast.Call, spec: ast.arguments | None, constants: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Bind a call's arguments to parameter names (like ``inspect.Signature.bind``, from the ast only)."""
    positional = [a.arg for a in (*spec.posonlyargs, *spec.args)] if spec else []
    accepted = {*positional, *(a.arg for a in spec.kwonlyargs)} if spec else set()
    bound: dict[str, Any] = {}
    args: list[Any] = []
    for arg in call.args:
        if isinstance(arg, ast.Starred):
            value = _literal(arg.value, constants)
            if value is _MISSING or not isinstance(value, list | tuple):
                return {}, "a *args argument is not a literal sequence"
            args.extend(value)
        else:
            value = _literal(arg, constants)
            if value is _MISSING:
                return {}, f"positional argument {ast.unparse(arg)!r} is not a literal"
            args.append(value)
    if len(args) > len(positional):
        return {}, f"{len(args)} positional arguments for {len(positional)} named parameters"
    bound.update(zip(positional, args, strict=False))
    for keyword in call.keywords:
        value = _literal(keyword.value, constants)
        if value is _MISSING:
            return {}, f"argument {keyword.arg or '**'}={ast.unparse(keyword.value)!r} is not a literal"
        if keyword.arg is None:
            if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
                return {}, "a **kwargs argument is not a literal dict with string keys"
            items = value.items()
        else:
            items = [(keyword.arg, value)]
        for name, item in items:
            if name in bound:
                return {}, f"parameter {name!r} given twice"
            bound[name] = item
    if spec is not None and spec.kwarg is None and (unknown := sorted(set(bound) - accepted)):
        return {}, f"unknown parameters {unknown}"
    return bound, None


def _calls_in(tree: ast.Module, fn_name: str, spec: ast.arguments | None, commented: bool, line_offset: int,
              constants: dict[str, Any]) -> list[ExampleCall]:
    found: list[ExampleCall] = []
    for statement in tree.body:
        if isinstance(statement, _DEFS):
            continue
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name) and (value := _literal(statement.value, constants)) is not _MISSING:
                constants[target.id] = value
        for node in ast.walk(statement):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == fn_name:
                arguments, problem = _bind(node, spec, constants)
                found.append(ExampleCall(node.lineno + line_offset, commented, arguments, problem))
    return found


_COMMENT = re.compile(r"^\s*#+\s?(.*)$")
_MAX_COMMENTED_CALLS, _MAX_CALL_CHARS = 20, 2000


def _commented_code(source: str, fn_name: str) -> list[tuple[int, str]]:
    """(line index, call code) of each call of ``fn_name`` written in comments, e.g. ``# f('x') -> 3``.

    Consecutive comment lines are joined so a call may span several of them; the call is the shortest text from
    ``fn_name(`` up to a closing parenthesis that parses as an expression.
    """
    lines = source.splitlines()
    found: list[tuple[int, str]] = []
    index = 0
    while index < len(lines):
        if not _COMMENT.match(lines[index]):
            index += 1
            continue
        first = index
        while index < len(lines) and _COMMENT.match(lines[index]):
            index += 1
        run = [_COMMENT.match(line).group(1) for line in lines[first:index]]  # type: ignore[union-attr]
        text = "\n".join(run)
        starts = [m.start() for m in re.finditer(rf"(?<![\w.]){re.escape(fn_name)}\(", text)]
        for start in starts[:_MAX_COMMENTED_CALLS]:  # bounded work, whatever a hostile source holds
            closes = [m.end() for m in re.finditer(r"\)", text[start : start + _MAX_CALL_CHARS])]
            for close in closes[:_MAX_CALL_CHARS // 20]:
                code = text[start : start + close]
                try:
                    ast.parse(code, mode="eval")
                except SyntaxError:
                    continue
                found.append((first + text[:start].count("\n"), code))
                break
    return found


def find_example_calls(source: str, fn_name: str, include_commented: bool = True) -> list[ExampleCall]:
    """Every top-level call of ``fn_name`` in ``source`` (and, if asked, in commented-out code), in source order.

    Arguments are read with ``ast.literal_eval`` (names assigned a literal at top level are resolved); positional
    arguments are bound to the parameter names of ``def fn_name``. Returns ``[]`` for source that does not parse.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    spec = _signature(tree, fn_name)
    constants: dict[str, Any] = {}
    calls = _calls_in(tree, fn_name, spec, False, 0, constants)
    if include_commented:
        for line, code in _commented_code(source, fn_name):
            calls.extend(_calls_in(ast.parse(code), fn_name, spec, True, line, dict(constants)))
    return sorted(calls, key=lambda call: call.line)


def example_calls(source: str, fn_name: str, include_commented: bool = True) -> list[dict[str, Any]]:
    """The distinct argument dicts of the resolvable example calls of ``fn_name`` (see :func:`find_example_calls`)."""
    unique: list[dict[str, Any]] = []
    for call in find_example_calls(source, fn_name, include_commented):
        if call.resolved and call.arguments not in unique:
            unique.append(call.arguments)
    return unique
