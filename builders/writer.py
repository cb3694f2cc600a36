"""Write a builder's rows as a folder laid out exactly like a Hugging Face dataset repository.

``OUT/README.md`` (the card, YAML ``configs:`` and ``dataset_info`` generated from the real shards),
``OUT/data/<config>/<split>-00000-of-0000N.parquet`` and ``OUT/provenance.json``. The folder appears atomically.
Statistics are counted as the rows pass (the builder's :meth:`~knowbench.builders.base.DatasetBuilder.row_statistics`);
the card renderer is an argument (:func:`knowbench.builders.build` passes the one the registry pairs with the builder).
A build whose splits hold no row at all is refused and leaves the previous output as it was.

Example:
    >>> import tempfile, pathlib
    >>> from knowbench.builders import get_builder
    >>> from knowbench.cards import CardTemplate
    >>> demo = pathlib.Path(__file__).resolve().parents[1] / "examples" / "toolhop" / "toolhop_demo.json"
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "toolhop"
    >>> report = build_to_folder(get_builder("toolhop", source=demo), out, card=CardTemplate("toolhop"))
    >>> report.rows("default", "test"), report.statistics["rows"]
    (3, 3)
    >>> sorted(p.name for p in out.iterdir())
    ['README.md', 'data', 'provenance.json']
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import datasets
import pyarrow as pa
import pyarrow.parquet as pq

import knowbench
from knowbench.builders.base import DatasetBuilder, RowStatistics
from knowbench.errors import ConfigError, SourceFormatError
from knowbench.io import atomic_dir, atomic_write_json, sha256_file

if TYPE_CHECKING:
    from knowbench.cards import CardTemplate

#: rows per parquet shard; a split larger than this is cut into several shards
DEFAULT_SHARD_ROWS = 250_000
_BATCH_ROWS = 1_000


@dataclass
class SplitReport:
    config: str
    split: str
    num_examples: int
    num_bytes: int
    files: list[str] = field(default_factory=list)


@dataclass
class BuildReport:
    """What a build wrote: per split rows and bytes, and the folder."""

    path: Path
    splits: list[SplitReport]
    statistics: dict[str, Any]

    def rows(self, config: str, split: str) -> int:
        return next(s.num_examples for s in self.splits if s.config == config and s.split == split)


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _write_split(
    builder: DatasetBuilder[Any], config: str, split: str, folder: Path, shard_rows: int, progress: Any,
    stats: RowStatistics,
) -> SplitReport:
    features = builder.features(config)
    schema = features.arrow_schema
    target = folder / "data" / config
    target.mkdir(parents=True, exist_ok=True)
    parts: list[Path] = []
    writer: pq.ParquetWriter | None = None
    in_shard = num_examples = num_bytes = 0
    task = progress.add_task(f"{builder.name}/{config}/{split}", total=None) if progress else None
    try:
        for batch in _batches(builder.generate(config, split), _BATCH_ROWS):
            for row in batch:
                stats.update(config, split, row)
            try:
                encoded = [features.encode_example(row) for row in batch]
                table = pa.Table.from_pylist(encoded, schema=schema)
            except (TypeError, ValueError, KeyError, pa.ArrowException) as error:
                raise SourceFormatError(
                    f"{builder.name}/{config}/{split}", f"rows {num_examples}-{num_examples + len(batch) - 1}",
                    f"do not match the declared features ({error})",
                ) from error
            for start in range(0, table.num_rows, shard_rows):
                piece = table.slice(start, shard_rows - in_shard if writer else shard_rows)
                if writer is None:
                    parts.append(target / f".{split}-part{len(parts):05d}.parquet")
                    writer = pq.ParquetWriter(parts[-1], schema, compression="zstd")
                writer.write_table(piece)
                in_shard += piece.num_rows
                if in_shard >= shard_rows:
                    writer.close()
                    writer, in_shard = None, 0
            num_examples += table.num_rows
            num_bytes += table.nbytes
            if progress:
                progress.update(task, advance=len(batch))
    finally:
        if writer is not None:
            writer.close()
    if not parts:
        # an empty split gets one shard with the schema and no row group: the form `datasets` 5.2 reads for an
        # empty config (a 0-row row group fails with "BatchSize must be greater than 0"). It loads with
        # `load_dataset(folder, config, streaming=True)`; without streaming `datasets` 5.2 refuses every 0-row split
        # ("corresponds to no data", huggingface/datasets#8401), so knowbench.loaders.load types it from the shard.
        parts.append(target / f".{split}-part00000.parquet")
        pq.ParquetWriter(parts[0], schema, compression="zstd").close()
    files = []
    for index, part in enumerate(parts):
        final = target / f"{split}-{index:05d}-of-{len(parts):05d}.parquet"
        os.replace(part, final)
        files.append(final.relative_to(folder).as_posix())
    return SplitReport(config, split, num_examples, num_bytes, files)


def _card_yaml(builder: DatasetBuilder[Any], reports: list[SplitReport], folder: Path) -> Any:
    from huggingface_hub import DatasetCardData

    configs = []
    infos = {}
    for config in builder.hub_configs():
        mine = [r for r in reports if r.config == config]  # every config, empty ones too (see _write_split)
        configs.append(
            {
                "config_name": config,
                "data_files": [{"split": r.split, "path": f"data/{config}/{r.split}-*"} for r in mine],
            }
        )
        split_dict = datasets.SplitDict()
        for r in mine:
            split_dict.add(datasets.SplitInfo(name=r.split, num_bytes=r.num_bytes, num_examples=r.num_examples))
        download = sum((folder / f).stat().st_size for r in mine for f in r.files)
        infos[config] = datasets.DatasetInfo(
            features=builder.features(config),
            splits=split_dict,
            download_size=download,
            dataset_size=sum(r.num_bytes for r in mine),
        )
    card_data = DatasetCardData(
        pretty_name=builder.pretty_name or builder.name,
        license=builder.license,
        task_categories=list(builder.task_categories) or None,
        tags=["knowbench", *builder.tags],
        configs=configs,
    )
    datasets.info.DatasetInfosDict(infos).to_dataset_card_data(card_data)
    return card_data


def build_to_folder(
    builder: DatasetBuilder[Any],
    out: str | os.PathLike[str],
    shard_rows: int = DEFAULT_SHARD_ROWS,
    show_progress: bool = False,
    card: CardTemplate | None = None,
) -> BuildReport:
    """Generate every split of ``builder`` and write the Hub-ready folder ``out`` atomically.

    ``card`` renders README.md (default: :data:`knowbench.cards.GENERIC`, the shared "how it was built" section).
    On any error, and when the splits hold no row at all, the previous ``out`` (if any) is left untouched and no
    partial folder remains.
    """
    from knowbench.cards import GENERIC

    card = card or GENERIC
    if shard_rows < 1:
        raise ConfigError(f"shard_rows must be >= 1, got shard_rows={shard_rows}")
    out = Path(out)
    started = dt.datetime.now(dt.UTC)
    progress = None
    if show_progress:
        from knowbench.progress import make_progress

        progress = make_progress()
        progress.start()
    try:
        with atomic_dir(out, kind=builder.name) as tmp:
            stats = builder.row_statistics()
            reports = [
                _write_split(builder, config, split, tmp, shard_rows, progress, stats)
                for config, splits in builder.hub_configs().items()
                for split in splits
            ]
            if not any(r.num_examples for r in reports):
                where = ", ".join(s.uri for s in builder.sources()) or builder.name
                raise SourceFormatError(where, None, f"the {builder.name} build has no rows in any split "
                                        f"({', '.join(f'{r.config}/{r.split}' for r in reports)}); nothing written")
            statistics = stats.result()
            shard_hashes = {f: sha256_file(tmp / f) for r in reports for f in r.files}
            provenance = {
                "dataset": builder.name,
                "builder_version": builder.version,
                "knowbench_version": knowbench.__version__,
                "datasets_version": datasets.__version__,
                "built_at": started.isoformat(timespec="seconds"),
                "config": builder.config.to_dict(),
                "sources": [vars(s) for s in builder.sources()],
                "statistics": statistics,  # what the card shows, machine-readable (e.g. for `knowbench check`)
                "splits": [
                    {"config": r.config, "split": r.split, "num_examples": r.num_examples, "files": r.files}
                    for r in reports
                ],
                "empty_splits": [{"config": r.config, "split": r.split} for r in reports if not r.num_examples],
                "features": {config: builder.features(config).to_dict() for config in builder.hub_configs()},
                "files_sha256": shard_hashes,
                "build_id": hashlib.sha256(
                    "".join(f"{k}={v}\n" for k, v in sorted(shard_hashes.items())).encode()
                ).hexdigest()[:16],
            }
            atomic_write_json(tmp / "provenance.json", provenance)
            card_data = _card_yaml(builder, reports, tmp)
            rendered = card.render(builder, card_data, reports=reports, statistics=statistics, provenance=provenance)
            rendered.save(tmp / "README.md")
    finally:
        if progress:
            progress.stop()
    return BuildReport(out, reports, statistics)
