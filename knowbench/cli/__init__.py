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
    "knowbench.cli.toolhop",
    "knowbench.cli.toolhop_eval",
    "knowbench.cli.toolhop_check",
    "knowbench.cli.mwpes",
    "knowbench.cli.mwpes_cluster",
    "knowbench.cli.evowiki",
    "knowbench.cli.triples",
    "knowbench.cli.train",
]


def _load_commands() -> None:
    for module in _COMMAND_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name != module:  # a real missing dependency inside an existing module
                raise


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, printing knowbench errors as one line on stderr with a non-zero exit code."""
    from knowbench.errors import KnowbenchError

    _load_commands()
    try:
        app(args=argv, prog_name="knowbench")  # typer/click handle usage errors and exit themselves
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except KnowbenchError as error:
        print(f"error: {' '.join(str(error).split())}", file=sys.stderr)
        return error.exit_code
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
