"""Read, validate and order ToolHop rows; download the official file from the Hub."""

from __future__ import annotations

import ast
import gzip
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for

from knowbench.errors import DownloadError, MissingInputError, SourceFormatError
from knowbench.io import iter_jsonl, read_json

HUB_REPO_ID = "bytedance-research/ToolHop"
HUB_FILE = "data/ToolHop.json"
#: the revision the sample data was taken from (see ../shared/data/PROVENANCE.md); pass another to move on
HUB_REVISION = "b439d7279af359fda46e8117ae4f0245b75f5c6b"

_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": int,
    "question": str,
    "answer": str,
    "sub_task": dict,
    "tools": dict,
    "functions": list,
    "domain": str,
    "answer_type": str,
    "previous_answer_type": str,
}


@dataclass(frozen=True)
class SourceRow:
    """One validated ToolHop row plus its hop order.

    ``hop_order`` lists the sub-questions in the order they must be answered; ``sources`` maps each sub-question to
    the Python source of its tool (``functions`` is in hop order; tools with the same name are told apart by which
    sub-question needs the answer of another).
    """

    raw: dict[str, Any]
    hop_order: tuple[str, ...]
    sources: dict[str, str]


def _defined_functions(source: str) -> list[str]:
    return [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def validate_row(raw: Any, path: str | os.PathLike[str], index: int) -> SourceRow:
    """Check one raw row; raise a one-line :class:`SourceFormatError` naming the row id and field."""
    where = f"row {index}"
    if not isinstance(raw, dict):
        raise SourceFormatError(path, where, f"expected a JSON object, got {type(raw).__name__}")
    if isinstance(raw.get("id"), int):
        where = f"row {index} (id {raw['id']})"

    def fail(problem: str) -> SourceFormatError:
        return SourceFormatError(path, where, problem)

    for name, kind in _FIELDS.items():
        if name not in raw:
            raise fail(f"missing field {name!r}")
        if not isinstance(raw[name], kind) or (kind is int and isinstance(raw[name], bool)):
            raise fail(f"field {name!r} must be {kind.__name__}, got {type(raw[name]).__name__}")  # type: ignore[union-attr]
    sub_task, tools, functions = raw["sub_task"], raw["tools"], raw["functions"]
    if not sub_task:
        raise fail("sub_task is empty")
    for question, answer in sub_task.items():
        if not isinstance(answer, str):
            raise fail(f"sub_task[{question!r}] must be a string, got {type(answer).__name__}")
    if set(sub_task) != set(tools):
        only = sorted(set(sub_task) ^ set(tools))
        raise fail(f"sub_task and tools name different sub-questions: {only[0]!r}")
    for question, tool in tools.items():
        field = f"tools[{question!r}]"
        if not isinstance(tool, dict):
            raise fail(f"{field} must be an object, got {type(tool).__name__}")
        for key in ("name", "description"):
            if not isinstance(tool.get(key), str) or not tool[key]:
                raise fail(f"{field}.{key} must be a non-empty string")
        parameters = tool.get("parameters")
        if not isinstance(parameters, dict) or parameters.get("type") != "object":
            raise fail(f"{field}.parameters is not a JSON Schema object")
        try:
            validator_for(parameters).check_schema(parameters)
        except SchemaError as error:
            raise fail(f"{field}.parameters is not a valid JSON Schema ({error.message})") from None
    if len(functions) != len(tools):
        raise fail(f"functions has {len(functions)} sources for {len(tools)} tools")
    defined: list[list[str]] = []
    for position, source in enumerate(functions):
        if not isinstance(source, str):
            raise fail(f"functions[{position}] must be a string, got {type(source).__name__}")
        try:
            defined.append(_defined_functions(source))
        except SyntaxError as error:
            raise fail(f"functions[{position}] does not parse (line {error.lineno}: {error.msg})") from None
    hop_order, sources = _order_hops(sub_task, tools, functions, defined, fail)
    return SourceRow(raw, hop_order, sources)


def _order_hops(
    sub_task: dict[str, str],
    tools: dict[str, dict[str, Any]],
    functions: list[str],
    defined: list[list[str]],
    fail: Any,
) -> tuple[tuple[str, ...], dict[str, str]]:
    """Match each function source (in hop order) to the sub-question whose tool it defines."""
    remaining = dict.fromkeys(sub_task)
    order: list[str] = []
    sources: dict[str, str] = {}
    for position, names in enumerate(defined):
        candidates = [q for q in remaining if tools[q]["name"] in names]
        if not candidates:
            raise fail(f"functions[{position}] defines {names or 'no function'}, which no remaining tool names")
        if len(candidates) > 1:  # same tool name twice: take the one that needs no other pending answer
            ready = [q for q in candidates if not any(sub_task[o] in q for o in remaining if o != q)]
            candidates = ready or candidates
        chosen = candidates[0]
        del remaining[chosen]
        order.append(chosen)
        sources[chosen] = functions[position]
    for question in remaining:  # unreachable when counts match, kept for a clear message
        raise fail(f"no function source defines {tools[question]['name']!r} for tools[{question!r}]")
    return tuple(order), sources


def _parse(path: Path) -> list[Any]:
    """The raw rows of a JSON list (the release file) or of a JSON-lines file."""
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            head = handle.read(1 << 16).lstrip()
    except (OSError, EOFError) as error:
        raise SourceFormatError(path, None, f"unreadable ({getattr(error, 'strerror', None) or error})") from None
    if head.startswith(b"["):
        return read_json(path, list, "a JSON list of ToolHop rows")
    return [row for _, row in iter_jsonl(path)]


def read_rows(path: str | os.PathLike[str]) -> list[SourceRow]:
    """Read a ToolHop file (a JSON list, or JSON lines), validating every row; ids must be unique."""
    path = Path(path)
    if not path.exists():
        raise MissingInputError(path, "ToolHop file")
    if not path.is_file():
        raise SourceFormatError(path, None, "is a folder, not a ToolHop file")
    rows = [validate_row(raw, path, index) for index, raw in enumerate(_parse(path), start=1)]  # 1-based
    seen: dict[int, int] = {}
    for index, row in enumerate(rows, start=1):
        if row.raw["id"] in seen:
            raise SourceFormatError(path, f"row {index} (id {row.raw['id']})", f"duplicate id (also row {seen[row.raw['id']]})")
        seen[row.raw["id"]] = index
    if not rows:
        raise SourceFormatError(path, None, "holds no rows")
    return rows


def download(revision: str = HUB_REVISION, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Fetch ``data/ToolHop.json`` of ``bytedance-research/ToolHop`` at ``revision`` through huggingface_hub."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(
            hf_hub_download(HUB_REPO_ID, HUB_FILE, repo_type="dataset", revision=revision, cache_dir=cache_dir)
        )
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as error:
        raise DownloadError(f"could not fetch {HUB_REPO_ID}/{HUB_FILE}@{revision}: {error}") from error
