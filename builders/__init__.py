"""Builders: raw source -> Hub-ready folder. One registry keyed by dataset name.

Example:
    >>> from knowbench.builders import builder_names, get_builder_class
    >>> "toolhop" in builder_names()
    True
    >>> get_builder_class("toolhop").name
    'toolhop'
"""

from __future__ import annotations

import importlib
from typing import Any

from knowbench.builders.base import BuilderConfig, DatasetBuilder, SourceInfo
from knowbench.errors import UnknownNameError

# dataset name -> module defining its builder (imported on first use, so heavy sources stay lazy)
_MODULES = {
    "toolhop": "knowbench.builders.toolhop",
    "mwpes": "knowbench.builders.mwpes",
    "evowiki": "knowbench.builders.evowiki",
    "triples": "knowbench.builders.triples",
}

__all__ = ["BuilderConfig", "DatasetBuilder", "SourceInfo", "builder_names", "get_builder", "get_builder_class"]


def builder_names() -> list[str]:
    return sorted(_MODULES)


def get_builder_class(name: str) -> type[DatasetBuilder[Any]]:
    """The builder class registered under ``name`` (its module defines ``BUILDER``)."""
    if name not in _MODULES:
        raise UnknownNameError("dataset", name, _MODULES)
    return importlib.import_module(_MODULES[name]).BUILDER


def get_builder(name: str, **options: Any) -> DatasetBuilder[Any]:
    """Instantiate builder ``name`` with a validated config built from ``options``."""
    cls = get_builder_class(name)
    return cls(cls.config_class(**options))
