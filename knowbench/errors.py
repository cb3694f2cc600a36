"""Every exception knowbench raises, in one place.

Each one subclasses a builtin (so ``except ValueError`` keeps working) and :class:`KnowbenchError` (so the CLI
can print it as one line). Messages name the offending file, record and value.

Example:
    >>> from knowbench.errors import SourceFormatError
    >>> str(SourceFormatError("toolhop.json", "row 412", 'tools["f"].parameters is not a JSON Schema object'))
    'toolhop.json: row 412: tools["f"].parameters is not a JSON Schema object'
"""

from __future__ import annotations

from collections.abc import Iterable


class KnowbenchError(Exception):
    """Base class of knowbench's own errors; the CLI prints these as one line and exits non-zero."""

    exit_code = 1


class SourceFormatError(KnowbenchError, ValueError):
    """A raw source file or one of its records is malformed.

    ``where`` names the record (``"row 412"``, ``"line 7"``, ``"byte 1048576"``); ``problem`` says what is wrong.
    """

    def __init__(self, path: object, where: str | None, problem: str) -> None:
        self.path, self.where, self.problem = str(path), where, problem
        super().__init__(": ".join(part for part in (self.path, where, problem) if part))


class MissingInputError(KnowbenchError, FileNotFoundError):
    """An input file or folder does not exist; ``what`` says what was expected there.

    Example:
        >>> error = MissingInputError("facts.json", "facts file")
        >>> str(error), isinstance(error, FileNotFoundError)
        ('facts.json: no such facts file', True)
    """

    def __init__(self, path: object, what: str = "file") -> None:
        self.path, self.what = str(path), what
        super().__init__(f"{self.path}: no such {what}")
        self.filename = self.path

    def __str__(self) -> str:  # OSError would format its arguments
        return str(self.args[0])


class ConfigError(KnowbenchError, ValueError):
    """A builder, pipeline or run configuration holds an invalid value."""


class UnknownNameError(KnowbenchError, KeyError):
    """A registry was asked for a name it does not hold; the message lists close and known names."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        import difflib

        known = sorted(known)
        close = difflib.get_close_matches(name, known, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        self.message = f"unknown {kind} {name!r}.{hint} Known: {', '.join(known) or '(none)'}"
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class DuplicateNameError(KnowbenchError, ValueError):
    """A registry already holds an entry under this name."""


class DatasetFolderError(KnowbenchError, ValueError):
    """A built dataset folder is missing, incomplete, or its card disagrees with its files."""


class MissingDependencyError(KnowbenchError, ImportError):
    """An optional dependency is not installed; the message gives the exact install command."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(f"{purpose} needs {package!r}: pip install 'knowbench[{extra}]'")


class DownloadError(KnowbenchError, ConnectionError):
    """A remote source (Hub, Wikidata, MediaWiki API) could not be fetched after retries."""


class OutputError(KnowbenchError, FileExistsError):
    """``--out`` names something knowbench must not replace (a user's folder, a file, another kind of output)."""


class RunStateError(KnowbenchError, RuntimeError):
    """A resumable run folder does not match the run being resumed (other config, corrupt log)."""


class BackendError(KnowbenchError, RuntimeError):
    """A model backend failed (server unreachable, malformed response, model file missing)."""


class ToolExecutionError(KnowbenchError, RuntimeError):
    """A dataset tool failed, misbehaved or was refused by the sandbox."""


class ContextLengthError(BackendError):
    """A prompt plus the requested new tokens does not fit the model's context window."""
