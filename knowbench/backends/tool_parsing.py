"""Tool calls that a model writes as plain text, parsed into :class:`ToolCall` objects.

Small local models rarely emit structured calls; when they do write one it is usually in one of two shapes:

- Hermes / Qwen style: ``<tool_call>{"name": "f", "arguments": {"x": 1}}</tool_call>`` (closing tag optional at the
  very end of the text),
- a bare JSON object with ``name`` and ``arguments`` (or ``parameters``), possibly inside a fenced code block.

Nothing else counts as a call: text that merely mentions a function is not a call, so the harness counts the model's
behaviour honestly.

Example:
    >>> calls, rest = parse_text_tool_calls('Let me check. <tool_call>{"name": "f", "arguments": {"x": 1}}</tool_call>')
    >>> calls[0].name, calls[0].arguments, rest
    ('f', {'x': 1}, 'Let me check.')
    >>> parse_text_tool_calls("The answer is 4.")[0]
    []
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from knowbench.backends.base import ToolCall

_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_FENCE = re.compile(r"```(?:json)?\s*|```")

#: how tool calls should look when the chat template has no tool support of its own (see ``tool_prompt``)
TOOL_CALL_FORMAT = '<tool_call>{"name": "FUNCTION_NAME", "arguments": {"ARGUMENT": VALUE}}</tool_call>'


def decode_arguments(value: Any) -> tuple[dict[str, Any], str, str]:
    """``(arguments, raw_arguments, error)`` from a decoded ``arguments`` field (dict or JSON string).

    Example:
        >>> decode_arguments('{"city": "Paris"}')
        ({'city': 'Paris'}, '{"city": "Paris"}', '')
        >>> decode_arguments("[1]")[2]
        "arguments must be a JSON object, got list: '[1]'"
    """
    if isinstance(value, dict):
        return value, json.dumps(value, ensure_ascii=False), ""
    if value is None:
        return {}, "", ""
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError as error:
            return (
                {},
                value,
                f"arguments are not valid JSON ({error.msg} at char {error.pos}): {value[:200]!r}",
            )
        if isinstance(decoded, dict):
            return decoded, value, ""
        return {}, value, f"arguments must be a JSON object, got {type(decoded).__name__}: {value[:200]!r}"
    return {}, json.dumps(value), f"arguments must be a JSON object, got {type(value).__name__}"


def _call_from_object(obj: Any, index: int) -> ToolCall | None:
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("function"), dict):  # {"type": "function", "function": {...}}
        obj = obj["function"]
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip():
        return None
    if "arguments" not in obj and "parameters" not in obj:
        return None
    arguments, raw, error = decode_arguments(obj.get("arguments", obj.get("parameters")))
    return ToolCall(
        name=name.strip(), arguments=arguments, id=f"call_{index}", raw_arguments=raw, error=error
    )


def _json_objects(text: str) -> list[tuple[int, int, Any]]:
    """Every top-level JSON value that starts with ``{`` or ``[`` in ``text``: ``(start, end, value)``."""
    decoder = json.JSONDecoder()
    found: list[tuple[int, int, Any]] = []
    position = 0
    while True:
        starts = [i for i in (text.find("{", position), text.find("[", position)) if i >= 0]
        if not starts:
            return found
        start = min(starts)
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            position = start + 1
            continue
        found.append((start, end, value))
        position = end


def parse_text_tool_calls(text: str) -> tuple[list[ToolCall], str]:
    """Tool calls written in ``text`` and the text that remains once they are cut out.

    A ``<tool_call>`` block whose body is not valid JSON still yields a call (named ``""`` when no name can be read)
    carrying ``error``, so a malformed attempt is counted as an invocation error rather than silently ignored.
    """
    calls: list[ToolCall] = []
    if "<tool_call>" in text:
        for match in _TAGGED.finditer(text):
            body = _FENCE.sub("", match.group(1)).strip()
            try:
                obj = json.loads(body)
            except json.JSONDecodeError as error:
                name = re.search(r'"name"\s*:\s*"([^"]+)"', body)
                calls.append(
                    ToolCall(
                        name=name.group(1) if name else "",
                        arguments={},
                        id=f"call_{len(calls)}",
                        raw_arguments=body,
                        error=f"tool call is not valid JSON ({error.msg} at char {error.pos}): {body[:200]!r}",
                    )
                )
                continue
            objects = obj if isinstance(obj, list) else [obj]
            for item in objects:
                call = _call_from_object(item, len(calls))
                if call is not None:
                    calls.append(call)
        return calls, _TAGGED.sub("", text).strip()
    spans: list[tuple[int, int]] = []
    for start, end, value in _json_objects(text):
        items = value if isinstance(value, list) else [value]
        found = [call for i, item in enumerate(items) if (call := _call_from_object(item, len(calls) + i))]
        if found and len(found) == len(items):
            calls.extend(found)
            spans.append((start, end))
    rest = text
    for start, end in reversed(spans):
        rest = rest[:start] + rest[end:]
    if spans:
        rest = _FENCE.sub("", rest)
    return calls, rest.strip()


def tool_prompt(tools: list[dict[str, Any]], function_line: Callable[[dict[str, Any]], str] | None = None) -> str:
    """A system-prompt block describing ``tools`` (OpenAI format) for chat templates without tool support.

    Each function is one line: its JSON schema, or ``function_line(function)``.

    Example:
        >>> print(tool_prompt([{"type": "function", "function": {"name": "f"}}], lambda f: "- " + f["name"]))
        ... # doctest: +ELLIPSIS
        You can call the following functions. To call one, reply with exactly
        ...
        Functions:
        - f
    """
    lines = [
        "You can call the following functions. To call one, reply with exactly",
        TOOL_CALL_FORMAT,
        "and nothing else; the result comes back in a message with the role 'tool'.",
        "Functions:",
    ]
    for tool in tools:
        function = tool.get("function", tool)
        lines.append(function_line(function) if function_line else json.dumps(function, ensure_ascii=False))
    return "\n".join(lines)
