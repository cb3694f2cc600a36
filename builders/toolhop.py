"""ToolHop builder: the official file -> a lossless, typed Hub dataset (config ``default``, split ``test``).

Example:
    >>> import pathlib
    >>> from knowbench.builders import get_builder
    >>> demo = pathlib.Path(__file__).resolve().parents[1] / "examples" / "toolhop" / "toolhop_demo.json"
    >>> builder = get_builder("toolhop", source=demo)
    >>> stats = builder.row_statistics()
    >>> for row in builder.generate("default", "test"):
    ...     stats.update("default", "test", row)
    >>> stats.result()["rows"], stats.result()["hops"]
    (3, [(2, 1), (3, 2)])
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import datasets

from knowbench.builders.base import BuilderConfig, DatasetBuilder, RowStatistics, SourceInfo
from knowbench.datasets_src import toolhop as source
from knowbench.errors import ConfigError
from knowbench.io import sha256_file

FEATURES = datasets.Features(
    {
        "id": datasets.Value("int64"),
        "question": datasets.Value("string"),
        "answer": datasets.Value("string"),
        "answer_type": datasets.Value("string"),
        "previous_answer_type": datasets.Value("string"),
        "domain": datasets.Value("string"),
        "n_hops": datasets.Value("int32"),
        # in the order of the source's `sub_task` object; `hop` is the position in the reasoning chain (0-based)
        "sub_tasks": datasets.List(
            {"hop": datasets.Value("int32"), "question": datasets.Value("string"), "answer": datasets.Value("string")}
        ),
        # in the order of the source's `tools` object; `parameters` is the JSON Schema as JSON text (key order kept)
        "tools": datasets.List(
            {
                "sub_question": datasets.Value("string"),
                "hop": datasets.Value("int32"),
                "name": datasets.Value("string"),
                "description": datasets.Value("string"),
                "parameters": datasets.Value("string"),
            }
        ),
        # in the source's order (= hop order); `name` is the function the tool schema names
        "functions": datasets.List({"name": datasets.Value("string"), "source": datasets.Value("string")}),
    }
)

CITATION = """@article{ye2025toolhop,
  title   = {ToolHop: A Query-Driven Benchmark for Evaluating Large Language Models in Multi-Hop Tool Use},
  author  = {Ye, Junjie and Du, Zhengyin and Yao, Xuesong and Lin, Weijian and Xu, Yufei and Chen, Zehui and
             Wang, Zaiyuan and Zhu, Sining and Xi, Zhiheng and Yuan, Siyu and Gui, Tao and Zhang, Qi and
             Huang, Xuanjing and Chen, Jiecao},
  journal = {arXiv preprint arXiv:2501.02506},
  year    = {2025}
}"""


@dataclass(frozen=True)
class ToolHopConfig(BuilderConfig):
    """Options of the ToolHop build.

    Example:
        >>> ToolHopConfig(source="toolhop.json").revision is None
        True
    """

    #: a local ToolHop file (JSON list or JSONL); None downloads ``data/ToolHop.json`` from the Hub
    source: str | Path | None = None
    #: Hub revision used when ``source`` is None
    revision: str | None = None

    def validate(self) -> None:
        if self.source is not None and self.revision is not None:
            raise ConfigError(f"give a local source or a Hub revision, not both: source={self.source}, revision={self.revision}")


class ToolHopBuilder(DatasetBuilder[ToolHopConfig]):
    name = "toolhop"
    version = "1.0.0"
    config_class = ToolHopConfig
    pretty_name = "ToolHop"
    #: the release ships its own LICENSE file; its terms were not checked offline, so the card says "other"
    license = "other"
    task_categories = ("question-answering", "text-generation")
    tags = ("tool-use", "multi-hop", "function-calling")
    citation = CITATION

    @cached_property
    def _source(self) -> tuple[Path, str | None]:
        """The local file to read and the Hub revision it came from (None for a local file); downloads once."""
        if self.config.source is None:
            revision = self.config.revision or source.HUB_REVISION
            return source.download(revision), revision
        return Path(self.config.source), None

    def hub_configs(self) -> dict[str, tuple[str, ...]]:
        return {"default": ("test",)}

    def features(self, hub_config: str) -> datasets.Features:
        return FEATURES

    def generate(self, hub_config: str, split: str) -> Iterator[dict[str, Any]]:
        # the release is one JSON list: it is parsed and validated whole, then converted row by row
        for row in source.read_rows(self._source[0]):
            yield to_features(row)

    def row_statistics(self) -> ToolHopStatistics:
        return ToolHopStatistics()

    def sources(self) -> list[SourceInfo]:
        path, revision = self._source
        uri = f"hf://datasets/{source.HUB_REPO_ID}/{source.HUB_FILE}" if revision else str(path)
        return [
            SourceInfo(uri=uri, sha256=sha256_file(path), revision=revision, size_bytes=path.stat().st_size,
                       description="the ToolHop release file")
        ]


class ToolHopStatistics(RowStatistics):
    """Queries, tools, hops, answer types, domains and the release's known issues, counted row by row."""

    def __init__(self) -> None:
        self.rows = 0
        self.tools = 0
        self.tool_names: set[str] = set()
        self.hops: Counter[int] = Counter()
        self.answer_types: Counter[str] = Counter()
        self.previous_answer_types: Counter[str] = Counter()
        self.domains: Counter[str] = Counter()
        self.final_answer_mismatch: list[tuple[int, str, str]] = []
        self.with_example_usage = 0

    def update(self, hub_config: str, split: str, row: dict[str, Any]) -> None:
        self.rows += 1
        self.tools += len(row["tools"])
        self.tool_names.update(t["name"] for t in row["tools"])
        self.hops[row["n_hops"]] += 1
        self.answer_types[row["answer_type"]] += 1
        self.previous_answer_types[row["previous_answer_type"]] += 1
        self.domains[row["domain"]] += 1
        last = max(row["sub_tasks"], key=lambda s: s["hop"])
        if last["answer"] != row["answer"]:
            self.final_answer_mismatch.append((row["id"], row["answer"], last["answer"]))
        self.with_example_usage += any(_has_top_level_code(f["source"]) for f in row["functions"])

    def result(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "tools": self.tools,
            "distinct_tool_names": len(self.tool_names),
            "hops": sorted(self.hops.items()),
            "answer_types": self.answer_types.most_common(),
            "previous_answer_types": self.previous_answer_types.most_common(),
            "domains": self.domains.most_common(10),
            "n_domains": len(self.domains),
            "final_answer_mismatch": self.final_answer_mismatch,
            "with_example_usage": self.with_example_usage,
        }


def to_features(row: source.SourceRow) -> dict[str, Any]:
    """One validated source row as a dict of :data:`FEATURES`."""
    raw = row.raw
    hop = {question: position for position, question in enumerate(row.hop_order)}
    return {
        "id": raw["id"],
        "question": raw["question"],
        "answer": raw["answer"],
        "answer_type": raw["answer_type"],
        "previous_answer_type": raw["previous_answer_type"],
        "domain": raw["domain"],
        "n_hops": len(raw["sub_task"]),
        "sub_tasks": [{"hop": hop[q], "question": q, "answer": a} for q, a in raw["sub_task"].items()],
        "tools": [
            {
                "sub_question": q,
                "hop": hop[q],
                "name": tool["name"],
                "description": tool["description"],
                "parameters": json.dumps(tool["parameters"], ensure_ascii=False),
            }
            for q, tool in raw["tools"].items()
        ],
        "functions": [
            {"name": raw["tools"][q]["name"], "source": row.sources[q]} for q in row.hop_order
        ],
    }


def _has_top_level_code(code: str) -> bool:
    import ast

    return any(
        not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Import | ast.ImportFrom)
        for node in ast.parse(code).body
    )


BUILDER = ToolHopBuilder
