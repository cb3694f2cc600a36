"""ToolHop builder: the official file -> a lossless, typed Hub dataset (config ``default``, split ``test``).

Example:
    >>> from knowbench.builders import get_builder  # doctest: +SKIP
    >>> from knowbench.builders.writer import build_to_folder  # doctest: +SKIP
    >>> build_to_folder(get_builder("toolhop", source="toolhop.json"), "out/toolhop")  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import pyarrow as pa

from knowbench.builders.base import BuilderConfig, DatasetBuilder, SourceInfo
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

    def prepare(self) -> None:
        if self.config.source is None:
            self._path = source.download(self.config.revision or source.HUB_REVISION)
            self._revision = self.config.revision or source.HUB_REVISION
        else:
            self._path, self._revision = Path(self.config.source), None
        self._rows = source.read_rows(self._path)

    def hub_configs(self) -> dict[str, tuple[str, ...]]:
        return {"default": ("test",)}

    def features(self, hub_config: str) -> datasets.Features:
        return FEATURES

    def generate(self, hub_config: str, split: str) -> Iterator[dict[str, Any]]:
        for row in self._rows:
            yield to_features(row)

    def sources(self) -> list[SourceInfo]:
        uri = f"hf://datasets/{source.HUB_REPO_ID}/{source.HUB_FILE}" if self._revision else str(self._path)
        return [
            SourceInfo(
                uri=uri,
                sha256=sha256_file(self._path),
                revision=self._revision,
                size_bytes=self._path.stat().st_size,
                description=f"{len(self._rows)} rows",
            )
        ]

    def statistics(self, tables: dict[str, dict[str, pa.Table]]) -> dict[str, Any]:
        table = tables["default"]["test"]
        rows = table.to_pylist()
        tools = [tool for row in rows for tool in row["tools"]]
        return {
            "rows": len(rows),
            "tools": len(tools),
            "distinct_tool_names": len({t["name"] for t in tools}),
            "hops": sorted(Counter(r["n_hops"] for r in rows).items()),
            "answer_types": Counter(r["answer_type"] for r in rows).most_common(),
            "previous_answer_types": Counter(r["previous_answer_type"] for r in rows).most_common(),
            "domains": Counter(r["domain"] for r in rows).most_common(10),
            "n_domains": len({r["domain"] for r in rows}),
            "final_answer_mismatch": [
                (r["id"], r["answer"], last["answer"])
                for r in rows
                for last in [max(r["sub_tasks"], key=lambda s: s["hop"])]
                if last["answer"] != r["answer"]
            ],
            "with_example_usage": sum(1 for r in rows if any(_has_top_level_code(f["source"]) for f in r["functions"])),
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
