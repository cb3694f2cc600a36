"""The ``knowbench`` command line. Each command group lives in its own module; errors print as one line.

Example:
    $ knowbench build toolhop --source toolhop.json --out out/toolhop
    $ knowbench info out/toolhop
    $ knowbench push out/toolhop --repo-id ORG/toolhop --dry-run
"""

from __future__ import annotations

import importlib
import sys

from knowbench.cli.apps import app

# one module per command group; each adds its commands to the apps in knowbench.cli.apps
_COMMAND_MODULES = [
    "knowbench.cli.hub",
    "knowbench.cli.build",
    "knowbench.cli.toolhop_eval",
    "knowbench.cli.toolhop_check",
    "knowbench.cli.mwpes",
    "knowbench.cli.mwpes_cluster",
    "knowbench.cli.evowiki",
    "knowbench.cli.triples",
    "knowbench.cli.train",
    "knowbench.cli.export",
]


def _load_commands() -> None:
    for module in _COMMAND_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name != module:  # a real missing dependency inside an existing module
                raise


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _os_message(error: OSError) -> str:
    """``PATH: reason`` for an operating-system error (missing file, no permission, disk full, ...)."""
    reason = error.strerror or type(error).__name__
    names = [str(name) for name in (error.filename, error.filename2) if name is not None]
    return ": ".join([*names, reason]) if names else (str(error) or reason)


def _quiet_libraries() -> None:
    """No progress bars from ``datasets`` (preparing a local folder): stderr carries knowbench's own output."""
    import os

    if "datasets" in sys.modules:
        sys.modules["datasets"].disable_progress_bars()
    else:
        os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI; every failure prints one line on stderr and exits 1.

    Only knowbench's own exceptions carry messages meant for users; usage errors (unknown option, value not
    among the choices), operating-system errors (a missing or unreadable file) and undecodable text are mapped to
    one line here, once.

    Example:
        >>> main(["info", "/nonexistent/folder"])
        1
    """
    import typer

    from knowbench.errors import KnowbenchError

    _quiet_libraries()
    _load_commands()
    try:
        result = app(args=argv, prog_name="knowbench", standalone_mode=False)
    except typer.Abort:
        print("error: aborted", file=sys.stderr)
        return 1
    except typer.TyperException as error:  # usage errors: unknown option, bad choice, missing option
        ctx = getattr(error, "ctx", None)
        if type(error).__name__ == "NoArgsIsHelpError" and ctx is not None:
            print(ctx.get_help())  # a bare command group shows its help, as typer does
            return 0
        where = f"{ctx.command_path}: " if ctx is not None else ""
        message = error.format_message() if hasattr(error, "format_message") else str(error)
        print(f"error: {where}{_one_line(message)}", file=sys.stderr)
        return 1
    except KnowbenchError as error:
        print(f"error: {_one_line(str(error))}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: {_one_line(_os_message(error))}", file=sys.stderr)
        return 1
    except UnicodeDecodeError as error:
        print(f"error: input is not UTF-8 text ({_one_line(str(error))})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
