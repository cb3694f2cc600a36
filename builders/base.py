"""The builder contract: a frozen, validated config, explicit ``datasets.Features``, and plain-dict generators.

Example:
    >>> from dataclasses import dataclass
    >>> import datasets
    >>> from knowbench.builders.base import BuilderConfig, DatasetBuilder
    >>> @dataclass(frozen=True)
    ... class SquaresConfig(BuilderConfig):
    ...     n: int = 3
    ...     def validate(self):
    ...         if self.n < 1:
    ...             raise ValueError(f"n must be >= 1, got n={self.n}")
    >>> class Squares(DatasetBuilder[SquaresConfig]):
    ...     name = "squares"
    ...     config_class = SquaresConfig
    ...     def hub_configs(self):
    ...         return {"default": ("train",)}
    ...     def features(self, hub_config):
    ...         return datasets.Features({"x": datasets.Value("int64"), "y": datasets.Value("int64")})
    ...     def generate(self, hub_config, split):
    ...         for x in range(self.config.n):
    ...             yield {"x": x, "y": x * x}
    >>> list(Squares(SquaresConfig(n=2)).generate("default", "train"))
    [{'x': 0, 'y': 0}, {'x': 1, 'y': 1}]
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import datasets
import pyarrow as pa

from knowbench.errors import ConfigError
from knowbench.io import SourceInfo

__all__ = ["BuilderConfig", "DatasetBuilder", "SourceInfo"]


@dataclass(frozen=True)
class BuilderConfig:
    """Base of every builder's options. Subclasses are frozen dataclasses and override :meth:`validate`."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`~knowbench.errors.ConfigError` (a ``ValueError``) naming the bad value."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view of the options (paths as strings), recorded in the provenance."""

        def plain(value: Any) -> Any:
            if isinstance(value, Path):
                return str(value)
            if isinstance(value, list | tuple):
                return [plain(v) for v in value]
            if isinstance(value, Mapping):
                return {k: plain(v) for k, v in value.items()}
            return value

        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


C = TypeVar("C", bound=BuilderConfig)


class DatasetBuilder(ABC, Generic[C]):
    """Turns a raw source into rows of one or more Hub configs (``hub_configs``), each with named splits.

    The builder only reads ``self.config``; it writes nothing and touches no global state. The shared writer
    (:func:`knowbench.builders.writer.build_to_folder`) turns it into a Hub-ready folder.
    """

    #: registry key, and the name of the source folder, card template, loader and Hub repo
    name: ClassVar[str]
    version: ClassVar[str] = "1.0.0"
    config_class: ClassVar[type[BuilderConfig]]
    pretty_name: ClassVar[str] = ""
    license: ClassVar[str] = "other"
    task_categories: ClassVar[tuple[str, ...]] = ()
    tags: ClassVar[tuple[str, ...]] = ()
    #: BibTeX of the paper the dataset comes from
    citation: ClassVar[str] = ""

    def __init__(self, config: C) -> None:
        if not isinstance(config, self.config_class):
            raise ConfigError(
                f"{type(self).__name__} takes a {self.config_class.__name__}, got {type(config).__name__}"
            )
        self.config: C = config

    def prepare(self) -> None:
        """Read and validate the sources once, before any rows are generated (errors surface early)."""

    @abstractmethod
    def hub_configs(self) -> dict[str, tuple[str, ...]]:
        """Hub config name -> its split names, in the order they appear in the card."""

    @abstractmethod
    def features(self, hub_config: str) -> datasets.Features:
        """The explicit schema of one Hub config."""

    @abstractmethod
    def generate(self, hub_config: str, split: str) -> Iterator[dict[str, Any]]:
        """Yield the rows of one split as plain dicts matching :meth:`features`."""

    def sources(self) -> list[SourceInfo]:
        """The inputs this build read (for the provenance); called after generation."""
        return []

    def statistics(self, tables: dict[str, dict[str, pa.Table]]) -> dict[str, Any]:
        """Dataset-specific numbers for the card, computed from the rows actually written.

        ``tables[hub_config][split]`` is the written data read back from the parquet shards.
        """
        return {}
