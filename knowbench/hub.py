"""Publish a built folder to the Hugging Face Hub in one commit; the dry run plans the very same commit.

Example:
    >>> from knowbench.hub import plan_commit  # doctest: +SKIP
    >>> plan = plan_commit("out/toolhop")  # doctest: +SKIP
    >>> [f.path for f in plan.files]  # doctest: +SKIP
    ['README.md', 'data/default/test-00000-of-00001.parquet', 'provenance.json']
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from knowbench.errors import ConfigError, DownloadError
from knowbench.folder import FolderInfo, read_folder


@dataclass(frozen=True, order=True)
class PlannedFile:
    path: str
    size: int


@dataclass(frozen=True)
class CommitPlan:
    """The exact files one commit uploads, after the folder's card was validated against its shards."""

    folder: Path
    info: FolderInfo
    files: tuple[PlannedFile, ...]

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


def plan_commit(folder: str | os.PathLike[str]) -> CommitPlan:
    """Validate ``folder`` (card parses, configs match shards) and list every file to upload."""
    folder = Path(folder)
    info = read_folder(folder)
    files = sorted(
        PlannedFile(p.relative_to(folder).as_posix(), p.stat().st_size)
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    return CommitPlan(folder, info, tuple(files))


def _network_errors() -> tuple[type[BaseException], ...]:
    """Errors of the HTTP clients huggingface_hub may use when the network is down (theirs are not OSError)."""
    import importlib

    errors: list[type[BaseException]] = [OSError]
    for module in ("httpx", "httpx2", "requests"):
        try:
            base = getattr(importlib.import_module(module), "TransportError", None) or getattr(
                importlib.import_module(module), "RequestException", None)
        except ImportError:
            continue
        if isinstance(base, type) and issubclass(base, BaseException):
            errors.append(base)
    return tuple(errors)


def push(
    plan: CommitPlan,
    repo_id: str,
    private: bool = False,
    token: str | None = None,
    commit_message: str | None = None,
) -> str:
    """Send ``plan`` as one commit to dataset repo ``repo_id``; files under ``data/`` not in the plan are deleted.

    The token comes from ``token``, ``HF_TOKEN`` or the saved login; it is never printed. Returns the commit URL.
    """
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
    from huggingface_hub.errors import HfHubHTTPError, HFValidationError

    try:
        from huggingface_hub.utils import validate_repo_id

        validate_repo_id(repo_id)
    except HFValidationError as error:
        raise ConfigError(f"--repo-id {repo_id!r} is not a Hub repo id ORG/NAME ({error})") from None
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        remote = set(api.list_repo_files(repo_id, repo_type="dataset"))
        planned = {f.path for f in plan.files}
        operations: list[CommitOperationAdd | CommitOperationDelete] = [
            CommitOperationAdd(path_in_repo=f.path, path_or_fileobj=str(plan.folder / f.path)) for f in plan.files
        ]
        operations += [
            CommitOperationDelete(path_in_repo=path)
            for path in sorted(remote - planned)
            if path.startswith("data/")
        ]
        info = api.create_commit(
            repo_id,
            operations=operations,
            repo_type="dataset",
            commit_message=commit_message or f"knowbench build {plan.info.card.data.to_dict().get('pretty_name', '')}",
        )
    except (HfHubHTTPError, *_network_errors()) as error:  # no network, refused token, server error
        raise DownloadError(f"push to {repo_id} failed: {type(error).__name__}: {error}") from None
    return str(info.commit_url)
