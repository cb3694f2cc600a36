"""Builders: raw source -> Hub-ready folder. Every builder is in the one registry :data:`BUILDERS`.

An entry names the builder's module (imported on first use, so heavy sources stay lazy), the card template the
writer renders, the dataset it belongs to (its loader and source readers) and a one-line summary for
``knowbench build --help``.

Example:
    >>> from knowbench.builders import BUILDERS, builder_names, get_builder_class
    >>> builder_names()
    ['evowiki', 'mwpes', 'mwpes_clustered', 'toolhop', 'triples']
    >>> get_builder_class("toolhop").name
    'toolhop'
    >>> BUILDERS.get("mwpes_clustered").dataset
    'mwpes'
    >>> get_builder_class("toolhp")
    Traceback (most recent call last):
    ...
    knowbench.errors.UnknownNameError: unknown dataset 'toolhp'. Did you mean 'toolhop'? Known: evowiki, mwpes, mwpes_clustered, toolhop, triples
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from knowbench.builders.base import BuilderConfig, DatasetBuilder, RowStatistics, SourceInfo
from knowbench.cards import CardTemplate
from knowbench.errors import ConfigError
from knowbench.registry import Registry

if TYPE_CHECKING:
    from knowbench.builders.writer import BuildReport

__all__ = [
    "BUILDERS",
    "BuilderConfig",
    "BuilderEntry",
    "DatasetBuilder",
    "RowStatistics",
    "SourceInfo",
    "build",
    "builder_names",
    "get_builder",
    "get_builder_class",
]


@dataclass(frozen=True)
class BuilderEntry:
    """One registered builder: where it lives, which card it gets, and what it builds."""

    name: str
    #: module defining ``BUILDER`` (the builder class)
    module: str
    #: card template under ``cards/`` rendered by the writer
    card: str
    #: one line for ``knowbench build --help``
    summary: str
    #: the dataset whose loader and source readers this builder's output goes with (usually ``name``)
    dataset: str = ""

    def __post_init__(self) -> None:
        if not self.dataset:
            object.__setattr__(self, "dataset", self.name)

    def load(self) -> type[DatasetBuilder[Any]]:
        """The builder class (imports its module)."""
        cls = importlib.import_module(self.module).BUILDER
        if cls.name != self.name:
            raise ConfigError(f"{self.module}.BUILDER is named {cls.name!r}, registered as {self.name!r}")
        return cls


#: every builder knowbench has, by dataset name (the one registry of builders)
BUILDERS: Registry[BuilderEntry] = Registry("dataset")
for _entry in (
    BuilderEntry("toolhop", "knowbench.builders.toolhop", "toolhop",
                 "ToolHop: multi-hop tool-use queries with executable tools, from the release file."),
    BuilderEntry("mwpes", "knowbench.builders.mwpes", "mwpes",
                 "MWPES: wrong solutions of math word problems, from collection / ingest run folders."),
    BuilderEntry("mwpes_clustered", "knowbench.builders.mwpes_clustered", "mwpes_clustered",
                 "MWPES errors with their error category, from an MWPES folder and a `cluster mwpes` run.",
                 dataset="mwpes"),
    BuilderEntry("evowiki", "knowbench.builders.evowiki", "evowiki",
                 "EvoWiki: stable / evolved / uncharted questions and a corpus, from Wikidata and Wikipedia files."),
    BuilderEntry("triples", "knowbench.builders.triples", "triples",
                 "Knowledge triples with document co-occurrence counts (SMI), from facts and `count` outputs."),
):
    BUILDERS.add(_entry.name, _entry)


def builder_names() -> list[str]:
    """Every registered builder name, sorted."""
    return BUILDERS.names()


def get_builder_class(name: str) -> type[DatasetBuilder[Any]]:
    """The builder class registered under ``name``."""
    return BUILDERS.get(name).load()


def get_builder(name: str, **options: Any) -> DatasetBuilder[Any]:
    """Instantiate builder ``name`` with a validated config built from ``options``."""
    cls = get_builder_class(name)
    return cls(cls.config_class(**options))


def build(name: str, out: str | os.PathLike[str], show_progress: bool = False, **options: Any) -> BuildReport:
    """Build dataset ``name`` from ``options`` into the Hub-ready folder ``out``, with the card the registry names.

    Example:
        >>> import tempfile, pathlib
        >>> demo = pathlib.Path(__file__).resolve().parents[1] / "examples" / "toolhop" / "toolhop_demo.json"
        >>> report = build("toolhop", pathlib.Path(tempfile.mkdtemp()) / "toolhop", source=demo)
        >>> [(s.config, s.split, s.num_examples) for s in report.splits]
        [('default', 'test', 3)]
        >>> (report.path / "README.md").read_text().count("# ToolHop")
        1
    """
    from knowbench.builders.writer import build_to_folder

    entry = BUILDERS.get(name)
    return build_to_folder(get_builder(name, **options), out, show_progress=show_progress,
                           card=CardTemplate(entry.card))
