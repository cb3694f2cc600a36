"""Typed view of ToolHop rows for evaluators: tools as dicts, functions as sources, sub-tasks in hop order.

Example:
    >>> from knowbench.loaders.toolhop import load_rows  # doctest: +SKIP
    >>> row = load_rows("out/toolhop")[0]  # doctest: +SKIP
    >>> row.tools[0].name, row.sub_tasks[0].question  # doctest: +SKIP
    ('genealogy_query', 'Who is the father of Raoul I Of Brienne, Count Of Eu?')
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from knowbench.errors import UnknownNameError


@dataclass(frozen=True)
class SubTask:
    """One hop: its position in the chain, the sub-question and its gold answer."""

    hop: int
    question: str
    answer: str


@dataclass(frozen=True)
class ToolHopTool:
    """The tool of one hop: OpenAI-style schema plus the Python source that implements it."""

    hop: int
    sub_question: str
    name: str
    description: str
    parameters: dict[str, Any]
    source: str

    def openai_schema(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


@dataclass(frozen=True)
class ToolHopRow:
    """A ToolHop query with its sub-tasks and tools in hop order.

    Example:
        >>> row = ToolHopRow.from_row(dataset[0])  # doctest: +SKIP
        >>> [t.name for t in row.tools]  # doctest: +SKIP
    """

    id: int
    question: str
    answer: str
    answer_type: str
    previous_answer_type: str
    domain: str
    n_hops: int
    sub_tasks: tuple[SubTask, ...]
    tools: tuple[ToolHopTool, ...]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ToolHopRow:
        """Build from one row of the ``toolhop`` dataset (as ``datasets`` returns it)."""
        sources = [f["source"] for f in row["functions"]]  # in hop order
        tools = sorted(row["tools"], key=lambda t: t["hop"])
        return cls(
            id=row["id"],
            question=row["question"],
            answer=row["answer"],
            answer_type=row["answer_type"],
            previous_answer_type=row["previous_answer_type"],
            domain=row["domain"],
            n_hops=row["n_hops"],
            sub_tasks=tuple(
                SubTask(s["hop"], s["question"], s["answer"]) for s in sorted(row["sub_tasks"], key=lambda s: s["hop"])
            ),
            tools=tuple(
                ToolHopTool(
                    hop=t["hop"],
                    sub_question=t["sub_question"],
                    name=t["name"],
                    description=t["description"],
                    parameters=json.loads(t["parameters"]),
                    source=sources[t["hop"]],
                )
                for t in tools
            ),
        )

    def openai_tools(self) -> list[dict[str, Any]]:
        return [tool.openai_schema() for tool in self.tools]

    def tool(self, name: str) -> ToolHopTool:
        for tool in self.tools:
            if tool.name == name:
                return tool
        raise UnknownNameError(f"tool of ToolHop row {self.id}", name, [t.name for t in self.tools])


def to_original(row: dict[str, Any]) -> dict[str, Any]:
    """Turn a dataset row back into the official ToolHop JSON row, key order included."""
    return {
        "id": row["id"],
        "question": row["question"],
        "answer": row["answer"],
        "sub_task": {s["question"]: s["answer"] for s in row["sub_tasks"]},
        "tools": {
            t["sub_question"]: {
                "description": t["description"],
                "name": t["name"],
                "parameters": json.loads(t["parameters"]),
            }
            for t in row["tools"]
        },
        "functions": [f["source"] for f in row["functions"]],
        "domain": row["domain"],
        "answer_type": row["answer_type"],
        "previous_answer_type": row["previous_answer_type"],
    }


def load_rows(path_or_repo_id: str | os.PathLike[str], split: str = "test", **kwargs: Any) -> list[ToolHopRow]:
    """Load a built ToolHop folder (or Hub repo) and return typed rows."""
    from knowbench.loaders import load

    dataset = load("toolhop", path_or_repo_id, "default", split=split, **kwargs)
    return [ToolHopRow.from_row(row) for row in dataset]
