"""Dataset-card templates (``<card>.md``, Jinja) rendered from a build's real statistics.

Every number in a card comes from the build: the row counts of the shards written, the statistics the builder's
:meth:`~knowbench.builders.base.DatasetBuilder.row_statistics` counted as rows were written, and the provenance.
Templates ``{% include "_build.md" %}`` for the shared "how it was built" section. The writer is handed a
:class:`CardTemplate` (the registry pairs each builder with one); without one it writes :data:`GENERIC`, which
holds only the shared section.

Example:
    >>> from knowbench.cards import CardTemplate, template_names
    >>> "toolhop" in template_names()
    True
    >>> CardTemplate("toolhop").template
    'toolhop'
    >>> CardTemplate("no-such-card")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    knowbench.errors.UnknownNameError: unknown card template 'no-such-card'. Known: evowiki, ..., toolhop, triples
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from knowbench.errors import UnknownNameError

CARDS_DIR = Path(__file__).parent
#: the shared "how this folder was built" section, also the whole body of a card without its own template
GENERIC_TEMPLATE = "_build"

__all__ = ["GENERIC", "CardTemplate", "template_names"]


def template_names() -> list[str]:
    """The dataset card templates shipped (``cards/<name>.md``), without the shared ``_*.md`` parts."""
    return sorted(p.stem for p in CARDS_DIR.glob("*.md") if not p.name.startswith("_"))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(CARDS_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["thousands"] = lambda n: f"{n:,}"
    env.filters["pct"] = lambda x, digits=1: f"{100 * x:.{digits}f}%"
    return env


@dataclass(frozen=True)
class CardTemplate:
    """Renders ``cards/<template>.md`` into a ``huggingface_hub.DatasetCard`` with the build's YAML metadata."""

    template: str

    def __post_init__(self) -> None:
        if self.template != GENERIC_TEMPLATE and self.template not in template_names():
            raise UnknownNameError("card template", self.template, template_names())

    def render(self, builder: Any, card_data: Any, **context: Any) -> Any:
        """The card of ``builder``'s build; ``context`` holds ``reports``, ``statistics`` and ``provenance``."""
        from huggingface_hub import DatasetCard

        body = _environment().get_template(f"{self.template}.md").render(
            builder=builder, config=builder.config, **context
        )
        if self.template == GENERIC_TEMPLATE:
            title = builder.pretty_name or builder.name
            body = f"# {title}\n\n{body}"
        return DatasetCard(f"---\n{card_data.to_yaml()}\n---\n\n{body.lstrip()}")


#: the card of a build handed no template: the title and the shared "how this folder was built" section
GENERIC = CardTemplate(GENERIC_TEMPLATE)
