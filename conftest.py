"""Doctests of the package folders, imported under their installed names.

setup.py installs ``builders/`` as ``knowbench.builders`` (and so on); pytest's ``--doctest-modules`` would import
``builders/toolhop.py`` a second time as ``builders.toolhop``, running every registration twice. Here each doctest
module is imported by its ``knowbench.*`` name instead; a module whose optional dependency is missing is skipped
with the reason.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from _pytest.doctest import DoctestModule

ROOT = Path(__file__).resolve().parent
#: top-level folder -> the package it installs as (setup.py's FOLDERS)
PACKAGES = {
    "knowbench": "knowbench",
    "datasets_src": "knowbench.datasets_src",
    "builders": "knowbench.builders",
    "loaders": "knowbench.loaders",
    "cards": "knowbench.cards",
    "training": "knowbench.training",
}


def installed_name(path: Path) -> str | None:
    """``builders/toolhop.py`` -> ``knowbench.builders.toolhop``; None outside the package folders."""
    try:
        parts = list(path.resolve().relative_to(ROOT).with_suffix("").parts)
    except ValueError:
        return None
    if not parts or parts[0] not in PACKAGES:
        return None
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGES[parts[0]], *parts[1:]])


class InstalledDoctestModule(DoctestModule):
    """A doctest module imported by its installed name."""

    def _getobj(self) -> Any:
        name = installed_name(self.path)
        assert name is not None
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name and not error.name.startswith("knowbench"):
                pytest.skip(f"{name}: optional dependency {error.name!r} is not installed")
            raise


def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A package folder is collected as a plain folder: pytest's ``Package`` would import its ``__init__.py`` under
    the folder's own name (a second copy of the package)."""
    if path.is_dir() and installed_name(path / "__init__.py") is not None:
        return pytest.Dir.from_parent(parent, path=path)
    return None


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Any:
    collected = yield
    return [
        InstalledDoctestModule.from_parent(parent, path=file_path)
        if type(item) is DoctestModule and installed_name(file_path) is not None
        else item
        for item in collected or []
    ]
