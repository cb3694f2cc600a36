"""Helpers shared by the source readers: JSON lines and arrays with line numbers, field checks, ``\\boxed{}``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from knowbench.errors import SourceFormatError
from knowbench.io import iter_jsonl


def iter_json_array(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number where the element starts, object)`` for each element of a top-level JSON array."""
    text = Path(path).read_text(encoding="utf-8")
    decoder = json.JSONDecoder()

    def line_of(position: int) -> int:
        return text.count("\n", 0, position) + 1

    def fail(position: int, problem: str) -> SourceFormatError:
        return SourceFormatError(path, f"line {line_of(position)}", problem)

    position = _skip_ws(text, 0)
    if position >= len(text) or text[position] != "[":
        raise fail(position, "expected a JSON array")
    position = _skip_ws(text, position + 1)
    if position < len(text) and text[position] == "]":
        return
    while True:
        try:
            record, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise SourceFormatError(path, f"line {error.lineno}", f"malformed JSON ({error.msg} at column {error.colno})") from None
        if not isinstance(record, dict):
            raise fail(position, f"expected a JSON object, got {type(record).__name__}")
        yield line_of(position), record
        position = _skip_ws(text, end)
        if position < len(text) and text[position] == ",":
            position = _skip_ws(text, position + 1)
            continue
        if position < len(text) and text[position] == "]":
            if _skip_ws(text, position + 1) != len(text):
                raise fail(position + 1, "unexpected content after the JSON array")
            return
        raise fail(position, "expected ',' or ']' between array elements")


def _skip_ws(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def require_str(record: dict[str, Any], key: str, path: object, where: str, allow_empty: bool = False) -> str:
    """``record[key]`` as a string, or a one-line error naming the record."""
    value = record.get(key)
    if not isinstance(value, str):
        shown = "missing" if key not in record else f"{type(value).__name__} {value!r:.40}"
        raise SourceFormatError(path, where, f"field {key!r} must be a string, got {shown}")
    if not allow_empty and not value.strip():
        raise SourceFormatError(path, where, f"field {key!r} is empty")
    return value


def require_strs(record: dict[str, Any], keys: tuple[str, ...], path: object, where: str) -> tuple[str, ...]:
    """:func:`require_str` of each of ``keys``, in order.

    Example:
        >>> require_strs({"question": "q", "answer": "a"}, ("question", "answer"), "f.jsonl", "line 1")
        ('q', 'a')
    """
    return tuple(require_str(record, key, path, where) for key in keys)


def require_answer(record: dict[str, Any], key: str, path: object, where: str) -> str:
    """A final answer field (a number or a string; a boolean is not one) as a string, or a one-line error.

    Example:
        >>> require_answer({"a": 18}, "a", "f.jsonl", "line 2")
        '18'
        >>> require_answer({"a": True}, "a", "f.jsonl", "line 2")
        Traceback (most recent call last):
        ...
        knowbench.errors.SourceFormatError: f.jsonl: line 2: a must be a number or a string, got True
    """
    value = record.get(key)
    if not isinstance(value, int | float | str) or isinstance(value, bool):
        raise SourceFormatError(path, where, f"{key} must be a number or a string, got {value!r:.40}")
    return str(value)


def read_problems_jsonl(path: str | os.PathLike[str], parse: Callable[..., Any], split: str) -> list[Any]:
    """``parse(record, index, path, where, split)`` of every line of a JSON-lines problems file; problem ids must be
    unique (a repeat names both lines)."""
    problems, seen = [], {}
    for index, (line, record) in enumerate(iter_jsonl(path)):
        problem = parse(record, index, path, f"line {line}", split)
        if problem.problem_id in seen:
            raise SourceFormatError(path, f"line {line}", f"duplicate id {problem.problem_id!r} (first on line "
                                    f"{seen[problem.problem_id]})")
        seen[problem.problem_id] = line
        problems.append(problem)
    return problems


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` (or ``\\fbox{...}``), braces balanced; ``None`` when absent.

    Example:
        >>> last_boxed(r"so $x=\\boxed{\\frac{9}{7}}$ and \\boxed{2}")
        '2'
        >>> last_boxed(r"\\boxed{\\dfrac{a}{b}}")
        '\\\\dfrac{a}{b}'
    """
    best = None
    for command in ("\\boxed", "\\fbox"):
        start = text.rfind(command)
        if start >= 0 and (best is None or start > best):
            best = start
    if best is None:
        return None
    position = best + (len("\\boxed") if text.startswith("\\boxed", best) else len("\\fbox"))
    while position < len(text) and text[position] == " ":
        position += 1
    if position >= len(text):
        return None
    if text[position] != "{":  # "\boxed 5" form: up to the next space or '$'
        end = position
        while end < len(text) and text[end] not in " $\n":
            end += 1
        return text[position:end] or None
    depth = 0
    for end in range(position, len(text)):
        if text[end] == "{":
            depth += 1
        elif text[end] == "}":
            depth -= 1
            if depth == 0:
                return text[position + 1 : end]
    return None
