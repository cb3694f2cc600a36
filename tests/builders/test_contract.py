"""Every registered builder keeps the contract: one name everywhere, a frozen validated config, a card template."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path

import pytest

from knowbench.builders import BuilderConfig, builder_names, get_builder_class
from knowbench.cards import template_names

REPO = Path(__file__).resolve().parents[2]


def _available() -> list[str]:
    names = []
    for name in builder_names():
        try:
            get_builder_class(name)
        except ModuleNotFoundError:
            continue
        names.append(name)
    return names


@pytest.mark.parametrize("name", _available())
def test_one_name_everywhere(name: str) -> None:
    builder = get_builder_class(name)
    assert builder.name == name
    assert name in template_names(), f"cards/{name}.md is missing"
    importlib.import_module(f"knowbench.loaders.{name}")
    importlib.import_module(f"knowbench.datasets_src.{name}")
    assert (REPO / "tests" / "builders" / f"test_{name}.py").is_file()


@pytest.mark.parametrize("name", _available())
def test_config_is_a_frozen_validated_dataclass(name: str) -> None:
    config = get_builder_class(name).config_class
    assert issubclass(config, BuilderConfig) and dataclasses.is_dataclass(config)
    assert config.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert config.validate is not BuilderConfig.validate, f"{config.__name__} validates nothing"


def test_every_registered_builder_is_importable() -> None:
    assert _available() == builder_names()
