"""Wikipedia pages with all their revisions from MediaWiki export XML, clean text and retrieval passages.

* :func:`iter_pages` reads export XML, schema 0.3 to 0.11, plain or ``.bz2`` (``.gz`` too), with ``mwxml``
  (``backend="mwxml"``, the default; checked on 0.3, 0.4, 0.10 and 0.11) or ``xml.etree.ElementTree.iterparse``
  (``backend="etree"``, namespace-agnostic, no extra dependency). Deleted text/comment/contributor markers
  (``deleted="deleted"``) become ``Revision.text_deleted`` etc. with ``text=None``.
* :func:`revision_at` picks the revision in force at a date.
* :func:`clean_text` turns wikitext into plain text with ``mwparserfromhell``; section headings stay as
  ``== Title ==`` lines so that :func:`passages` can name the section of every passage.

Broken XML and truncated compressed files raise :class:`~knowbench.errors.SourceFormatError` naming the file
and the line/column (XML) or the decompressed byte offset.

Example:
    >>> passages("Pear", clean_text("'''Pears''' are [[tree]]s.<ref>x</ref>\\n== Uses ==\\nEaten {{cn}} raw."))
    [Passage(title='Pear', section='', text='Pears are trees.', index=0), Passage(title='Pear', section='Uses', text='Eaten raw.', index=1)]
"""

from __future__ import annotations

import bz2
import datetime
import gzip
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from knowbench.datasets_src.evowiki.dumpio import PathLike
from knowbench.errors import SourceFormatError


@dataclass(frozen=True, slots=True)
class Revision:
    """One revision of a page; ``text`` is ``None`` only when it was deleted (``text_deleted``)."""

    id: int
    timestamp: datetime.datetime  # timezone-aware, UTC
    text: str | None
    text_deleted: bool = False
    comment_deleted: bool = False
    user_deleted: bool = False
    comment: str | None = None
    user: str | None = None
    parent_id: int | None = None
    sha1: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """A page with its revisions sorted by timestamp (oldest first).

    Example:
        >>> Page(1, "Pear", 0, None, ()).latest() is None
        True
    """

    id: int
    title: str
    namespace: int
    redirect: str | None
    revisions: tuple[Revision, ...]

    def latest(self) -> Revision | None:
        """The newest revision (``None`` for a page without revisions)."""
        return self.revisions[-1] if self.revisions else None


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieval passage: at most ``max_words`` words of one section of one article."""

    title: str
    section: str
    text: str
    index: int


class _CountingReader:
    """Wraps a binary stream and counts the bytes handed out (the position reported on decompression errors)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.count += len(data)
        return data


def _open(path: Path) -> IO[bytes]:
    with open(path, "rb") as handle:
        magic = handle.read(3)
    if magic == b"BZh":
        return bz2.open(path, "rb")
    if magic[:2] == b"\x1f\x8b":
        return gzip.open(path, "rb")
    return open(path, "rb")


def _utc(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    text = str(value).replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(text)


def iter_pages(path: PathLike, backend: str = "mwxml", namespaces: set[int] | None = None) -> Iterator[Page]:
    """Yield the pages of an export XML file with all their revisions (``namespaces`` keeps only these).

    Example:
        >>> from knowbench.datasets_src.evowiki.wikipedia import iter_pages
        >>> [p.title for p in iter_pages("export.xml")]  # doctest: +SKIP
        ['Anarchism']
    """
    path = Path(path)
    if not path.is_file():
        raise SourceFormatError(path, None, "file not found")
    if backend not in ("mwxml", "etree"):
        raise ValueError(f"unknown backend {backend!r}; use 'mwxml' or 'etree'")
    reader = _CountingReader(_open(path))
    try:
        pages = _pages_mwxml(reader) if backend == "mwxml" else _pages_etree(reader)
        for page in pages:
            if namespaces is None or page.namespace in namespaces:
                yield page
    except ET.ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        raise SourceFormatError(path, f"line {line}, column {column}", f"broken XML ({error})") from None
    except (EOFError, OSError) as error:
        raise SourceFormatError(
            path, f"byte {reader.count} (decompressed)", f"compressed stream ended or is corrupt: {error}"
        ) from None
    finally:
        reader.stream.close()


def _pages_mwxml(reader: _CountingReader) -> Iterator[Page]:
    import mwxml

    dump = mwxml.Dump.from_file(reader)
    for page in dump:
        revisions = []
        for rev in page:
            deleted = rev.deleted
            revisions.append(
                Revision(
                    id=int(rev.id),
                    timestamp=_utc(
                        rev.timestamp.long_format() if rev.timestamp is not None else "1970-01-01T00:00:00Z"
                    ),
                    text=None if deleted.text else (rev.text or ""),
                    text_deleted=bool(deleted.text),
                    comment_deleted=bool(deleted.comment),
                    user_deleted=bool(deleted.user),
                    comment=None if deleted.comment else rev.comment,
                    user=(rev.user.text if rev.user is not None and not deleted.user else None),
                    parent_id=int(rev.parent_id) if rev.parent_id is not None else None,
                    sha1=rev.sha1,
                )
            )
        revisions.sort(key=lambda r: (r.timestamp, r.id))
        redirect = _redirect_target(page.redirect, revisions)
        yield Page(int(page.id), str(page.title), int(page.namespace or 0), redirect, tuple(revisions))


_REDIRECT = re.compile(r"^\s*#REDIRECT\s*:?\s*\[\[([^\]|#]+)", re.IGNORECASE)


def _redirect_target(declared: str | None, revisions: list[Revision]) -> str | None:
    """The redirect target: the ``<redirect title=...>`` of 0.4+, else read from ``#REDIRECT [[X]]`` in the
    newest visible text (schema 0.3 writes an empty ``<redirect />`` or nothing)."""
    if declared:
        return declared
    for revision in reversed(revisions):
        if revision.text is not None:
            match = _REDIRECT.match(revision.text)
            return match.group(1).strip() if match else None
    return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _child_text(element: ET.Element, name: str) -> str | None:
    child = _child(element, name)
    return child.text if child is not None else None


def _is_deleted(element: ET.Element | None) -> bool:
    return element is not None and element.get("deleted") == "deleted"


def _revision_from_element(element: ET.Element) -> Revision:
    text_el, comment_el, user_el = (
        _child(element, "text"),
        _child(element, "comment"),
        _child(element, "contributor"),
    )
    user = None
    if user_el is not None and not _is_deleted(user_el):
        user = _child_text(user_el, "username") or _child_text(user_el, "ip")
    parent = _child_text(element, "parentid")
    return Revision(
        id=int(_child_text(element, "id") or 0),
        timestamp=_utc(_child_text(element, "timestamp") or "1970-01-01T00:00:00Z"),
        text=None if _is_deleted(text_el) else ("" if text_el is None else (text_el.text or "")),
        text_deleted=_is_deleted(text_el),
        comment_deleted=_is_deleted(comment_el),
        user_deleted=_is_deleted(user_el),
        comment=None if comment_el is None or _is_deleted(comment_el) else comment_el.text,
        user=user,
        parent_id=int(parent) if parent else None,
        sha1=_child_text(element, "sha1"),
    )


def _pages_etree(reader: _CountingReader) -> Iterator[Page]:
    prefixes: dict[str, int] = {}
    root: ET.Element | None = None
    for event, element in ET.iterparse(reader, events=("start", "end")):  # type: ignore[arg-type]
        name = _local(element.tag)
        if event == "start":
            if root is None:
                root = element
            continue
        if name == "namespace" and element.text:
            prefixes[element.text] = int(element.get("key", "0"))
        elif name == "siteinfo" and root is not None:
            root.remove(element)
        elif name == "page":
            title = _child_text(element, "title") or ""
            ns_text = _child_text(element, "ns")
            if ns_text is not None:
                namespace = int(ns_text)
            else:  # schema 0.3/0.4 have no <ns>: the title prefix names the namespace
                prefix = title.split(":", 1)[0] if ":" in title else ""
                namespace = prefixes.get(prefix, 0)
            redirect_el = _child(element, "redirect")
            revisions = sorted(
                (_revision_from_element(rev) for rev in element if _local(rev.tag) == "revision"),
                key=lambda r: (r.timestamp, r.id),
            )
            redirect = _redirect_target(
                redirect_el.get("title") if redirect_el is not None else None, revisions
            )
            yield Page(int(_child_text(element, "id") or 0), title, namespace, redirect, tuple(revisions))
            if root is not None:
                root.remove(element)


def revision_at(
    page: Page, when: datetime.date | datetime.datetime, require_text: bool = True
) -> Revision | None:
    """The revision in force at ``when``: the newest one saved at or before it (a date means the end of that day,
    UTC). With ``require_text`` a revision whose text was deleted is passed over for the one before it.

    Example:
        >>> r1 = Revision(1, datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC), "a")
        >>> r2 = Revision(2, datetime.datetime(2005, 6, 1, tzinfo=datetime.UTC), "b")
        >>> revision_at(Page(1, "X", 0, None, (r1, r2)), datetime.date(2004, 12, 31)).id
        1
    """
    if isinstance(when, datetime.datetime):
        limit = when if when.tzinfo else when.replace(tzinfo=datetime.UTC)
        included = [r for r in page.revisions if r.timestamp <= limit]
    else:
        end = datetime.datetime.combine(
            when + datetime.timedelta(days=1), datetime.time(), tzinfo=datetime.UTC
        )
        included = [r for r in page.revisions if r.timestamp < end]
    for revision in reversed(included):
        if not require_text or revision.text is not None:
            return revision
    return None


_DROP_TAGS = {
    "ref",
    "references",
    "gallery",
    "math",
    "table",
    "timeline",
    "score",
    "syntaxhighlight",
    "imagemap",
}
_DROP_LINK_PREFIXES = ("file:", "image:", "category:", "media:")
_LINE_BREAK_TAGS = {"br", "p", "li", "dd", "dt"}
_MAGIC = re.compile(r"__[A-Z]+__")
_SPACE_BEFORE_PUNCT = re.compile(r" +([.,;:!?)])")
_INTERWIKI = re.compile(r"^[a-z][a-z-]{1,11}:")  # [[fr:Anarchisme]], [[zh-min-nan:...]], [[simple:...]]
_DASHES = {
    "snd": " – ",
    "spaced ndash": " – ",
    "ndash": "–",
    "mdash": "—",
    "spaced mdash": " — ",
    "sndash": " – ",
}
_HEADING_LINE = re.compile(r"^(={2,6})\s*(.*?)\s*\1\s*$")


def clean_text(wikitext: str) -> str:
    """Plain text of ``wikitext``: templates, references, tables, files, categories, interlanguage links,
    comments and markup removed; link text kept; section headings kept as ``== Title ==`` lines. A few inline
    templates that carry running text are rendered (``convert``, dashes, ``nowrap``, ``lang``).

    Example:
        >>> clean_text("{{Infobox|x=1}}'''A''' is [[b|c]].<ref>r</ref>\\n== H ==\\n[[Category:Z]]Text")
        'A is c.\\n\\n== H ==\\nText'
    """
    import mwparserfromhell

    return _tidy(_fallback_cleanup(_render(mwparserfromhell.parse(wikitext))))


_LEFT_REF_EMPTY = re.compile(r"<ref[^>]*/>", re.IGNORECASE)
_LEFT_REF = re.compile(r"<ref[^>]*>.*?</ref\s*>", re.IGNORECASE | re.DOTALL)
_LEFT_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
_LEFT_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")


def _fallback_cleanup(text: str) -> str:
    """Markup the parser left as plain text (it gives up on some unbalanced constructs): references,
    innermost-first templates and HTML tags are removed with regular expressions."""
    if "<" not in text and "{{" not in text:
        return text
    text = _LEFT_REF.sub("", _LEFT_REF_EMPTY.sub("", text))
    previous = None
    while previous != text:
        previous, text = text, _LEFT_TEMPLATE.sub("", text)
    return _LEFT_TAG.sub("", text)


def _param(template: Any, name: str | int) -> str:
    key = str(name)
    return _render(template.get(key).value).strip() if template.has(key) else ""


def _render_template(template: Any) -> str:
    name = str(template.name).strip().lower().replace("_", " ")
    if name in _DASHES:
        return _DASHES[name]
    if name in ("convert", "cvt") and template.has("1"):
        return f"{_param(template, 1)} {_param(template, 2)}".strip()
    if name in ("nowrap", "small", "nobr", "lang", "transl") or name.startswith("lang-"):
        last = 2 if name in ("lang", "transl") else 1
        return _param(template, last)
    return ""


def _render(code: Any) -> str:
    """Walk the parsed wikitext once (linear time) and write what a reader sees."""
    from mwparserfromhell.nodes import (
        Argument,
        Comment,
        ExternalLink,
        Heading,
        HTMLEntity,
        Tag,
        Template,
        Text,
        Wikilink,
    )

    out: list[str] = []
    for node in code.nodes:
        if isinstance(node, Text):
            out.append(node.value)
        elif isinstance(node, Template):
            out.append(_render_template(node))
        elif isinstance(node, Comment | Argument):
            continue
        elif isinstance(node, Heading):
            title = " ".join(_render(node.title).split())
            out.append(f"\n{'=' * node.level} {title} {'=' * node.level}\n")
        elif isinstance(node, Tag):
            tag = str(node.tag).strip().lower()
            if tag in _DROP_TAGS:
                continue
            prefix = "\n" if tag in _LINE_BREAK_TAGS else ""
            out.append(prefix + (_render(node.contents) if node.contents is not None else ""))
        elif isinstance(node, Wikilink):
            target = str(node.title).strip()
            lowered = target.lower().lstrip(":")
            if lowered.startswith(_DROP_LINK_PREFIXES) or (node.text is None and _INTERWIKI.match(target)):
                continue
            out.append(_render(node.text) if node.text is not None else target.split("#")[0].lstrip(":"))
        elif isinstance(node, ExternalLink):
            out.append(_render(node.title) if node.title is not None else "")
        elif isinstance(node, HTMLEntity):
            out.append(node.normalize())
        else:  # pragma: no cover - node kinds added by future parser versions
            out.append(str(node.__strip__(normalize=True, collapse=True) or ""))
    return "".join(out)


def _tidy(text: str) -> str:
    text = _MAGIC.sub("", text).replace("\xa0", " ")
    lines: list[str] = []
    for raw in text.split("\n"):
        line = (
            _SPACE_BEFORE_PUNCT.sub(r"\1", re.sub(r"[ \t]+", " ", raw))
            .replace("( ", "(")
            .replace("()", "")
            .strip()
        )
        if _HEADING_LINE.match(line):
            if lines and lines[-1] != "":
                lines.append("")
            lines.append(line)
        elif line or (lines and lines[-1] != "" and not _HEADING_LINE.match(lines[-1])):
            lines.append(line)
    return "\n".join(lines).strip()


def passages(title: str, text: str, max_words: int = 100) -> list[Passage]:
    """Cut clean text (from :func:`clean_text`) into passages of at most ``max_words`` words that never cross a
    section; the lead section is ``""``, a subsection is named by its own heading."""
    if max_words < 1:
        raise ValueError(f"max_words must be >= 1, got {max_words}")
    result: list[Passage] = []
    section, words = "", []

    def flush() -> None:
        for start in range(0, len(words), max_words):
            chunk = " ".join(words[start : start + max_words])
            result.append(Passage(title, section, chunk, len(result)))
        words.clear()

    for line in text.split("\n"):
        match = _HEADING_LINE.match(line.strip())
        if match:
            flush()
            section = match.group(2)
        else:
            words.extend(line.split())
    flush()
    return result
