"""The builder contract: a frozen, validated config, explicit ``datasets.Features``, streaming generators and a
statistics object that counts rows as the writer writes them.

As in the packaged builders of HF ``datasets``: every option is a field of the frozen config (validated in
``__post_init__``, recorded in ``provenance.json``, turned into ``knowbench build NAME`` options); the builder only
reads ``self.config`` and keeps no other state but what it derives from it (e.g. a resolved download path, cached);
``generate`` yields plain dicts one at a time; there is no separate ``prepare`` step. The statistics behind the card
come from :meth:`DatasetBuilder.row_statistics`: the writer calls ``update(hub_config, split, row)`` for every row
it writes and ``result()`` once at the end, so no shard is ever read back.

Example:
    >>> from dataclasses import dataclass
    >>> import datasets
    >>> from knowbench.builders.base import BuilderConfig, DatasetBuilder, RowStatistics
    >>> @dataclass(frozen=True)
    ... class SquaresConfig(BuilderConfig):
    ...     #: how many squares
    ...     n: int = 3
    ...     def validate(self):
    ...         if self.n < 1:
    ...             raise ValueError(f"n must be >= 1, got n={self.n}")
    >>> class SquareStats(RowStatistics):
    ...     def __init__(self):
    ...         self.rows, self.total = 0, 0
    ...     def update(self, hub_config, split, row):
    ...         self.rows += 1
    ...         self.total += row["y"]
    ...     def result(self):
    ...         return {"rows": self.rows, "sum_of_squares": self.total}
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
    ...     def row_statistics(self):
    ...         return SquareStats()
    >>> builder = Squares(SquaresConfig(n=3))
    >>> stats = builder.row_statistics()
    >>> for row in builder.generate("default", "train"):  # what the writer does with every row it writes
    ...     stats.update("default", "train", row)
    >>> stats.result()
    {'rows': 3, 'sum_of_squares': 5}
    >>> SquaresConfig(n=0)
    Traceback (most recent call last):
    ...
    ValueError: n must be >= 1, got n=0
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import datasets

from knowbench.errors import ConfigError
from knowbench.io import SourceInfo

__all__ = ["BuilderConfig", "DatasetBuilder", "RowStatistics", "SourceInfo"]


@dataclass(frozen=True)
class BuilderConfig:
    """Base of every builder's options. Subclasses are frozen dataclasses and override :meth:`validate`.

    Document each field with a ``#:`` comment above it (or a string right below it): that text is the help of
    its ``knowbench build NAME --FIELD`` option. ``field(metadata={"flags": ("--other",)})`` adds an option name;
    ``metadata={"positional": True}`` (one list field at most) also takes values given as plain arguments.
    """

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`~knowbench.errors.ConfigError` (a ``ValueError``) naming the bad value."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view of the options (paths as strings), recorded in the provenance.

        Example:
            >>> BuilderConfig().to_dict()
            {}
        """

        def plain(value: Any) -> Any:
            if isinstance(value, Path):
                return str(value)
            if isinstance(value, list | tuple):
                return [plain(v) for v in value]
            if isinstance(value, Mapping):
                return {k: plain(v) for k, v in value.items()}
            return value

        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


class RowStatistics:
    """Counts what a build wrote, one row at a time; :meth:`result` is the ``statistics`` of the card.

    The writer calls :meth:`update` for every row it writes (``hub_config``, ``split`` and the row as the builder
    yielded it) and :meth:`result` once after the last row. This base counts nothing.

    Example:
        >>> RowStatistics().result()
        {}
    """

    def update(self, hub_config: str, split: str, row: dict[str, Any]) -> None:
        """Take one written row into account."""

    def result(self) -> dict[str, Any]:
        """The numbers for the card (JSON-ready)."""
        return {}


C = TypeVar("C", bound=BuilderConfig)


class DatasetBuilder(ABC, Generic[C]):
    """Turns a raw source into rows of one or more Hub configs (``hub_configs``), each with named splits.

    The builder only reads ``self.config``; it writes nothing and touches no global state. The shared writer
    (:func:`knowbench.builders.writer.build_to_folder`) turns it into a Hub-ready folder: it calls
    :meth:`hub_configs`, then for each config :meth:`features` and for each split :meth:`generate`, feeding every
    row to the :meth:`row_statistics` object, then :meth:`sources`.
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

    @abstractmethod
    def hub_configs(self) -> dict[str, tuple[str, ...]]:
        """Hub config name -> its split names, in the order they appear in the card."""

    @abstractmethod
    def features(self, hub_config: str) -> datasets.Features:
        """The explicit schema of one Hub config."""

    @abstractmethod
    def generate(self, hub_config: str, split: str) -> Iterator[dict[str, Any]]:
        """Yield the rows of one split as plain dicts matching :meth:`features`, one at a time."""

    def row_statistics(self) -> RowStatistics:
        """A fresh statistics object for one build (see :class:`RowStatistics`)."""
        return RowStatistics()

    def sources(self) -> list[SourceInfo]:
        """The inputs this build read (for the provenance); called after generation."""
        return []
