"""A small name -> object registry used for builders, loaders, model backends and pipeline components.

Example:
    >>> from knowbench.registry import Registry
    >>> clusterers = Registry("clusterer")
    >>> @clusterers.register("kmeans")
    ... class KMeansClusterer: ...
    >>> clusterers.get("kmeans").__name__
    'KMeansClusterer'
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from knowbench.errors import DuplicateNameError, UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to objects; refuses duplicates and answers unknown names with close matches."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator that stores the decorated object under ``name``."""

        def decorator(obj: T) -> T:
            self.add(name, obj)
            return obj

        return decorator

    def add(self, name: str, obj: T) -> None:
        if name in self._entries and self._entries[name] is not obj:
            raise DuplicateNameError(f"{self.kind} {name!r} is already registered as {self._entries[name]!r}")
        self._entries[name] = obj

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(self.kind, name, self._entries) from None

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
