"""``knowbench build NAME``: one command per registered builder, its options read from the builder's config.

Every field of the builder's frozen config dataclass is an option ``--field-name`` (help from the field's ``#:``
comment or docstring, default from the dataclass): ``Path``, ``str``, ``int``, ``float``, ``bool`` (``--x/--no-x``),
``Literal`` / ``Enum`` (a choice), and tuples or lists as repeated options. ``--out`` names the folder to write.
Nothing here names a dataset: a new builder in :data:`knowbench.builders.BUILDERS` is a new command.

Example:
    >>> from knowbench.cli.build import config_options
    >>> from knowbench.builders import get_builder_class
    >>> [p.name for p in config_options(get_builder_class("toolhop").config_class)]
    ['source', 'revision']
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import inspect
import textwrap
import types
import typing
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from knowbench.cli.apps import Quiet, build_app
from knowbench.errors import ConfigError

_OWN_OPTIONS = ("out", "quiet")


def field_docs(config_class: type) -> dict[str, str]:
    """Field name -> its documentation: the ``#:`` comment lines above it or the string right below it.

    Example:
        >>> from knowbench.builders.triples import TriplesConfig
        >>> field_docs(TriplesConfig)["workers"]
        'processes when counting corpora now'
        >>> sorted(field_docs(TriplesConfig)) == sorted(f.name for f in dataclasses.fields(TriplesConfig))
        True
    """
    docs: dict[str, str] = {}
    for klass in reversed(config_class.__mro__):
        if not dataclasses.is_dataclass(klass) or klass is object:
            continue
        try:
            source = textwrap.dedent(inspect.getsource(klass))
        except (OSError, TypeError):
            continue
        lines = source.splitlines()
        body = next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef)).body
        for index, node in enumerate(body):
            if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
                continue
            comments = []
            line = node.lineno - 2
            while line >= 0 and lines[line].strip().startswith("#:"):
                comments.insert(0, lines[line].strip()[2:].strip())
                line -= 1
            after = body[index + 1] if index + 1 < len(body) else None
            if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str):
                comments.append(" ".join(after.value.value.split()))
            if comments:
                docs[node.target.id] = " ".join(comments)
    return docs


@dataclasses.dataclass(frozen=True)
class _Kind:
    """How one config field reads from the command line: its type there, and whether it repeats."""

    annotation: Any
    multiple: bool = False
    container: type = tuple


def _kind(hint: Any, where: str) -> _Kind:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return _kind(options[0], where)
        if str in options:  # e.g. `str | Path`: a name or a path, as typed
            return _Kind(str)
        if Path in options:
            return _Kind(Path)
        raise ConfigError(f"{where}: cannot read {hint} from the command line")
    if origin in (tuple, list):
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            raise ConfigError(f"{where}: only tuple[X, ...] fields can be repeated options, got {hint}")
        inner = _kind(args[0], where)
        if inner.multiple:
            raise ConfigError(f"{where}: nested lists cannot be read from the command line, got {hint}")
        return _Kind(inner.annotation, multiple=True, container=origin)
    if origin is typing.Literal or hint in (bool, int, float, str, Path) or (
        isinstance(hint, type) and issubclass(hint, enum.Enum)
    ):
        return _Kind(hint)
    raise ConfigError(f"{where}: cannot read {hint} from the command line")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def config_options(config_class: type) -> list[inspect.Parameter]:
    """One keyword parameter per field of ``config_class``, annotated as a typer option (plus the positional
    argument a list field may ask for with ``metadata={"positional": True}``)."""
    hints = typing.get_type_hints(config_class)
    docs = field_docs(config_class)
    params: list[inspect.Parameter] = []
    for f in dataclasses.fields(config_class):
        if not f.init:
            continue
        if f.name in _OWN_OPTIONS:
            raise ConfigError(f"{config_class.__name__}.{f.name}: the name is taken by the build command's own option")
        kind = _kind(hints[f.name], f"{config_class.__name__}.{f.name}")
        default = f.default if f.default is not dataclasses.MISSING else None
        if f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        names = [_flag(f.name), *f.metadata.get("flags", ())]
        help_text = docs.get(f.name, "")
        if kind.multiple:
            if default:
                help_text += f" Default: {', '.join(map(str, default))}."
            option = typer.Option(*names, help=f"{help_text} Repeatable.".strip(), show_default=False)
            params.append(_parameter(f.name, list[kind.annotation] | None, option, None))  # type: ignore[name-defined]
            if f.metadata.get("positional"):
                argument = typer.Argument(help=f"More {f.name}.", show_default=False, metavar=f.name.upper())
                params.append(_parameter(f"{f.name}__more", list[kind.annotation] | None, argument, None))  # type: ignore[name-defined]
            continue
        if kind.annotation is bool:
            option = typer.Option(f"{names[0]}/--no-{names[0][2:]}", *names[1:], help=help_text)
            params.append(_parameter(f.name, bool, option, bool(default)))
            continue
        shown = default.value if isinstance(default, enum.Enum) else default
        option = typer.Option(*names, help=help_text, show_default=str(shown) if shown not in (None, "") else False)
        params.append(_parameter(f.name, kind.annotation | None, option, None))
    return params


def _parameter(name: str, annotation: Any, info: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                             annotation=Annotated[annotation, info])


def config_values(config_class: type, values: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``config_class`` from parsed option values; unset options keep the dataclass default.

    Example:
        >>> from knowbench.builders.mwpes import MWPESConfig
        >>> config_values(MWPESConfig, {"runs": [Path("a")], "runs__more": [Path("b")]})
        {'runs': (PosixPath('a'), PosixPath('b'))}
    """
    hints = typing.get_type_hints(config_class)
    out: dict[str, Any] = {}
    for f in dataclasses.fields(config_class):
        if not f.init:
            continue
        kind = _kind(hints[f.name], f.name)
        value = values.get(f.name)
        if kind.multiple:
            value = kind.container([*(value or ()), *(values.get(f"{f.name}__more") or ())])
            if not value:
                continue
        elif value is None:
            continue
        out[f.name] = value
    return out


def config_command(name: str, config_class: type, run: Any, help_text: str = "", short_help: str = "") -> Any:
    """A typer command ``name`` with one option per field of ``config_class`` plus ``--out`` and ``--quiet``;
    it calls ``run(out, quiet, options)`` with the keyword arguments for ``config_class``."""

    def command(out: Path, quiet: bool = False, **values: Any) -> None:
        run(out, quiet, config_values(config_class, values))

    params = [
        _parameter("out", Path, typer.Option(
            "--out", help="Folder to write: missing, or an earlier build of this dataset (replaced atomically)."),
            inspect.Parameter.empty),
        *config_options(config_class),
        inspect.Parameter("quiet", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Quiet),
    ]
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    one = typer.Typer(add_completion=False)
    one.command(name, help=help_text, short_help=short_help)(command)
    one.command("_")(lambda: None)  # with two commands `get_command` returns a group to pick the command from
    return typer.main.get_command(one).commands[name]  # type: ignore[attr-defined]


def builder_command(name: str) -> Any:
    """The ``knowbench build NAME`` command of registered builder ``name`` (a typer command)."""
    from knowbench.builders import BUILDERS

    entry = BUILDERS.get(name)

    def run(out: Path, quiet: bool, options: dict[str, Any]) -> None:
        from knowbench.builders import build

        report = build(name, out, show_progress=not quiet, **options)
        for split in report.splits:
            typer.echo(f"{split.config}/{split.split}: {split.num_examples:,} rows")
        typer.echo(f"wrote {report.path}")

    return config_command(name, entry.load().config_class, run, f"{entry.summary}\n\nCard: cards/{entry.card}.md.",
                          entry.summary)


class BuildCommands(TyperGroup):
    """The ``build`` group: one command per registered builder, made when asked for (only its module is imported)."""

    def list_commands(self, ctx: Any) -> list[str]:
        from knowbench.builders import builder_names

        return sorted({*super().list_commands(ctx), *builder_names()})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        from knowbench.builders import BUILDERS

        command = super().get_command(ctx, cmd_name)
        if command is None:
            BUILDERS.get(cmd_name)  # an unknown name raises, naming close and known ones
            command = builder_command(cmd_name)
        return command


build_app.info.cls = BuildCommands
build_app.info.help = "Build a registered dataset from its raw source into a Hub-ready folder (`build NAME --help`)."
