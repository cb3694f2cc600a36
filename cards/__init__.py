"""Dataset-card templates (``<dataset>.md``, Jinja) rendered from a build's real statistics.

Every number in a card comes from the build: the row counts of the shards written, the builder's
``statistics()`` computed from those shards, and the provenance. Templates ``{% include "_build.md" %}``
for the shared "how it was built" section.

Example:
    >>> from knowbench.cards import template_names
    >>> "toolhop" in template_names()
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

CARDS_DIR = Path(__file__).parent


def template_names() -> list[str]:
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


def render_card(builder: Any, card_data: Any, **context: Any) -> Any:
    """Render ``cards/<builder.name>.md`` into a ``huggingface_hub.DatasetCard`` with ``card_data`` as YAML."""
    from huggingface_hub import DatasetCard

    template = _environment().get_template(f"{builder.name}.md")
    body = template.render(builder=builder, config=builder.config, **context)
    return DatasetCard(f"---\n{card_data.to_yaml()}\n---\n\n{body.lstrip()}")
