"""Writing lm-evaluation-harness tasks for built knowbench folders: YAML, the small utils module, one folder each.

An export of dataset ``NAME`` is the folder ``TASKS/NAME/`` (replaced as a whole by the next export of the same
dataset, so several datasets sit side by side in ``TASKS``): one YAML file per task and per group, a generated
``knowbench_NAME_utils.py`` that the YAML's ``!function`` tags point to (it only imports knowbench's own scoring
functions and fixes the paths of this export), and ``knowbench_export.json`` naming the data folder and its build.
Rows are read offline by ``datasets`` from the built folder's parquet shards (absolute paths).
Task YAML follows lm-evaluation-harness 0.4 (``docs/task_guide.md``: ``dataset_path: parquet`` with
``dataset_kwargs.data_files``, ``process_docs``, ``process_results``, ``metric_list``, ``filter_list``, groups with
``aggregate_metric_list``).

Example:
    >>> print(dump_yaml({"task": "t", "process_results": Function("utils.process_results")}), end="")
    task: t
    process_results: !function utils.process_results
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from knowbench.errors import ConfigError, DatasetFolderError

#: written into every export folder: what was exported from where
MANIFEST = "knowbench_export.json"
#: the kind recorded in the output marker of an export folder
OUTPUT_KIND = "lm-eval-tasks"
#: bumped when the exported task definitions change (recorded as every task's ``metadata.version``)
TASK_VERSION = 1


@dataclass(frozen=True)
class Function:
    """A ``!function module.name`` tag in task YAML (lm-eval resolves it beside the YAML file)."""

    target: str


def dump_yaml(mapping: Mapping[str, Any]) -> str:
    """YAML text of ``mapping`` in insertion order, :class:`Function` values as ``!function`` tags."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    _Dumper.add_representer(Function, lambda dumper, f: dumper.represent_scalar("!function", f.target))
    text = yaml.dump(dict(mapping), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)
    return re.sub(r"!function '([\w.]+)'", r"!function \1", text)  # a dotted name needs no quotes


def read_provenance(data: str | os.PathLike[str]) -> dict[str, Any]:
    """``provenance.json`` of a built folder; raises :class:`DatasetFolderError` when there is none."""
    path = Path(data) / "provenance.json"
    if not path.is_file():
        raise DatasetFolderError(f"{data}: not a built knowbench folder (no provenance.json)")
    try:
        record = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise DatasetFolderError(f"{path}: malformed JSON ({error})") from None
    if not isinstance(record, dict) or not isinstance(record.get("dataset"), str):
        raise DatasetFolderError(f"{path}: no 'dataset' name")
    return record


def split_files(data: str | os.PathLike[str], config: str, split: str) -> list[str]:
    """Absolute paths of the parquet shards of ``config``/``split`` (empty when the build wrote none)."""
    folder = Path(data).resolve()
    for entry in read_provenance(folder).get("splits", []):
        if (entry.get("config"), entry.get("split")) == (config, split):
            if entry.get("num_examples") == 0:  # a 0-row shard has no row group: lm-eval could not read it
                return []
            files = [str(folder / name) for name in entry.get("files") or ()]
            missing = [f for f in files if not Path(f).is_file()]
            if missing:
                raise DatasetFolderError(f"{folder}: shard {missing[0]} of {config}/{split} is missing")
            return files
    raise DatasetFolderError(f"{folder}: provenance.json lists no split {config}/{split}")


def parquet_source(files: Sequence[str | os.PathLike[str]], split: str = "test") -> dict[str, Any]:
    """The dataset keys of a task that reads ``files`` (parquet) offline as its test split.

    Example:
        >>> parquet_source(["/d/a.parquet"])["dataset_kwargs"]
        {'data_files': {'test': ['/d/a.parquet']}}
    """
    if not files:
        raise ConfigError("a task needs at least one parquet file")
    return {
        "dataset_path": "parquet",
        "dataset_kwargs": {"data_files": {split: [str(Path(f).resolve()) for f in files]}},
        "test_split": split,
    }


def mean_metrics(names: Sequence[str]) -> list[dict[str, Any]]:
    """``metric_list`` entries for per-document scores averaged over documents (higher is better)."""
    return [{"metric": name, "aggregation": "mean", "higher_is_better": True} for name in names]


def keep_all_filter(repeats: int) -> list[dict[str, Any]]:
    """A ``filter_list`` that hands every one of the ``repeats`` generations to ``process_results``."""
    return [{"name": "all", "filter": [{"function": "take_first_k", "k": repeats}]}]


@dataclass
class Export:
    """What one dataset export writes: tasks and groups (YAML mappings by name) and the utils module's text."""

    dataset: str
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    utils: str = ""
    #: extra files (name -> bytes) written beside the YAML, e.g. templates or problem shards
    files: dict[str, bytes] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def utils_module(self) -> str:
        return f"knowbench_{self.dataset}_utils"

    def fn(self, name: str) -> Function:
        """A ``!function`` tag pointing to ``name`` in this export's utils module."""
        return Function(f"{self.utils_module}.{name}")

    def add_task(self, name: str, config: Mapping[str, Any]) -> None:
        if name in self.tasks or name in self.groups:
            raise ConfigError(f"task {name!r} is defined twice in the {self.dataset} export")
        self.tasks[name] = {"task": name, **config, "metadata": {"version": TASK_VERSION}}

    def add_group(self, name: str, tasks: Sequence[str], metrics: Sequence[str]) -> None:
        """A group averaging ``metrics`` over its ``tasks``, weighted by their sizes."""
        self.groups[name] = {
            "group": name,
            "task": list(tasks),
            "aggregate_metric_list": [
                {"metric": m, "aggregation": "mean", "weight_by_size": True} for m in metrics
            ],
            "metadata": {"version": TASK_VERSION},
        }


def utils_source(import_from: str, names: Sequence[str], constants: Mapping[str, Any] | None = None,
                 wrappers: Sequence[str] = ()) -> str:
    """The text of a generated utils module: re-exports ``names`` of ``import_from``, sets ``constants``
    (repr'd) and appends ``wrappers`` (small function definitions using them).

    Example:
        >>> print(utils_source("knowbench.x", ["f"], {"K": 5}), end="")
        \"\"\"Generated by `knowbench export lm-eval`: lm-eval's !function tags resolve here; scoring is knowbench's.\"\"\"
        from knowbench.x import f  # noqa: F401
        <BLANKLINE>
        K = 5
    """
    lines = [
        '"""Generated by `knowbench export lm-eval`: lm-eval\'s !function tags resolve here; scoring is knowbench\'s."""',
        f"from {import_from} import {', '.join(names)}  # noqa: F401",
    ]
    if constants:
        lines.append("")
        lines.extend(f"{key} = {value!r}" for key, value in constants.items())
    for wrapper in wrappers:
        lines.extend(["", "", wrapper.rstrip()])
    return "\n".join(lines) + "\n"


def write_export(export: Export, out: str | os.PathLike[str]) -> Path:
    """Write ``export`` into ``out/<dataset>/`` atomically (a previous export of that dataset is replaced; any
    other folder of that name is refused). Returns the folder."""
    from knowbench.io import atomic_dir, atomic_write_bytes

    if not export.tasks:
        raise ConfigError(f"the {export.dataset} export has no task (no rows to evaluate)")
    target = Path(out) / export.dataset
    with atomic_dir(target, kind=OUTPUT_KIND) as tmp:
        for name, config in {**export.tasks, **export.groups}.items():
            atomic_write_bytes(tmp / f"{name}.yaml", dump_yaml(config).encode())
        atomic_write_bytes(tmp / f"{export.utils_module}.py", export.utils.encode())
        for name, data in export.files.items():
            atomic_write_bytes(tmp / name, data)
        manifest = {"dataset": export.dataset, "tasks": sorted(export.tasks), "groups": sorted(export.groups),
                    **export.manifest}
        atomic_write_bytes(tmp / MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return target
