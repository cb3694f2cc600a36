from __future__ import annotations

import pytest

from knowbench.errors import DuplicateNameError, UnknownNameError
from knowbench.registry import Registry


def test_registry_refuses_duplicates_and_suggests_names() -> None:
    registry: Registry[type] = Registry("clusterer")

    @registry.register("hdbscan")
    class A: ...

    with pytest.raises(DuplicateNameError, match="'hdbscan' is already registered"):
        registry.add("hdbscan", int)
    with pytest.raises(UnknownNameError, match=r"unknown clusterer 'hdbscn'\. Did you mean 'hdbscan'\?"):
        registry.get("hdbscn")
    assert registry.get("hdbscan") is A and registry.names() == ["hdbscan"]
