"""The team's own documents (``TICKETBOT_KNOWLEDGE_DIR``) as entries of the help-centre index.

Most teams keep part of what they know outside the help centre: runbooks, FAQ files, policies.
``sync_documents`` reads a folder of Markdown, plain-text and HTML files and indexes each beside
the articles, so a lookup, the note's suggestions and the answers search them the same way.

A document is held as an article with a negative id (a hash of its path and section), so it can
never be taken for one of the helpdesk's articles, whose ids are positive, and the helpdesk's
sync leaves it alone. Its ``url`` is its path inside the folder and its title the heading of its
section: what the note shows an agent. A Markdown file is one entry per level-1 or level-2
heading, so a suggestion names the section that answers; a text or HTML file is one entry.

A document is ``internal`` (suggested to agents, never quoted to a customer) unless its front
matter says ``visibility: public``; any other value, a typo included, keeps it internal, since
the mistake that costs is quoting an internal page to a customer. Files are read as UTF-8 and
never followed through a symbolic link (the folder is the team's, a link out of it is not);
a file that cannot be read, is too large or is not UTF-8 is skipped and said, the rest indexed.
Hidden files and folders (``.git``) are left out without a word: a folder kept in git would
otherwise list its every object.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..models import Article
from ..triage.language import detect_language
from .index import ArticleIndex
from .sources import put_entries
from .text import article_text, words

if TYPE_CHECKING:
    from .dense import Embed

SUFFIXES = frozenset({".md", ".markdown", ".txt", ".text", ".html", ".htm"})
# A knowledge page is a few pages of text; anything larger is an export or a mistake, and
# reading it whole would cost the run its memory.
MAX_BYTES = 1_000_000
MAX_FILES = 5_000

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_FIELD = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*?)[ \t]*$")
_HEADING = re.compile(r"^(#{1,2})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_HTML_TITLE = re.compile(
    r"<title[^>]*>(.*?)</title>|<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL
)
_TAG = re.compile(r"<[^>]+>")
# Markdown's marks an answer quoting a section should not show a customer.
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")


# The documents' ids are -DOCUMENT_IDS..-1; the ids below are for the entries other sources
# index (a feature's own ``kb.sources.IndexSource``), so each sync removes only its own entries.
DOCUMENT_IDS = 2**32


def is_document(article_id: int) -> bool:
    """Whether an index entry is one of the team's documents rather than a helpdesk article."""
    return -DOCUMENT_IDS <= article_id < 0


def is_helpdesks(article_id: int) -> bool:
    """Whether an index entry is the helpdesk's own article (not a document, nor another
    source's entry)."""
    return article_id > 0


def document_id(path: str, section: int) -> int:
    """A stable negative id for section ``section`` of the document at ``path``. Four bytes of
    hash: the id ends up in the tag an answer gets (``ai_answer_article_<id>``), which Freshdesk
    caps at 32 characters. Two sections that meet on one id (about once in a thousand folders
    of 3,000 sections) are caught by ``sync_documents``."""
    digest = hashlib.blake2b(f"{path}\0{section}".encode(), digest_size=4).digest()
    return -(int.from_bytes(digest, "big") + 1)


@dataclass(frozen=True)
class Section:
    heading: str
    text: str


@dataclass
class DocumentReport:
    """What one sync of the folder did; ``skipped``: each file left out and why."""

    listed: int = 0
    indexed: int = 0
    unchanged: int = 0
    removed: int = 0
    encoded: int = 0
    skipped: list[str] = field(default_factory=list)

    def as_event(self) -> dict[str, object]:
        return {
            "documents": self.listed,
            "indexed": self.indexed,
            "removed": self.removed,
            "skipped": len(self.skipped),
        }


def front_matter(text: str) -> tuple[dict[str, str], str]:
    """The ``key: value`` lines of a leading ``---`` block (keys lower-cased) and the rest."""
    found = _FRONT_MATTER.match(text)
    if found is None:
        return {}, text
    fields: dict[str, str] = {}
    for line in found.group(1).splitlines():
        pair = _FIELD.match(line)
        if pair is not None:
            fields[pair.group(1).lower()] = pair.group(2).strip("'\"")
    return fields, text[found.end() :]


def visibility_of(fields: dict[str, str]) -> str:
    """``everyone`` for a document marked public, else ``internal``."""
    return "everyone" if fields.get("visibility", "").strip().lower() == "public" else "internal"


def _plain_markdown(text: str) -> str:
    return _EMPHASIS.sub("", _LINK.sub(r"\1", text)).strip()


def markdown_sections(text: str, fallback: str) -> list[Section]:
    """One section per level-1 or level-2 heading (deeper headings stay in their section);
    text before the first heading is a section titled ``fallback``."""
    sections: list[Section] = []
    heading, lines, fenced = fallback, [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        found = None if fenced else _HEADING.match(line)
        if found is None:
            lines.append(line)
            continue
        body = _plain_markdown("\n".join(lines))
        if body or heading != fallback:
            sections.append(Section(heading, body))
        heading, lines = _plain_markdown(found.group(2)) or fallback, []
    body = _plain_markdown("\n".join(lines))
    if body or heading != fallback:
        sections.append(Section(heading, body))
    return [s for s in sections if s.text]


def html_section(text: str, fallback: str) -> Section:
    found = _HTML_TITLE.search(text)
    heading = ""
    if found is not None:
        heading = html.unescape(_TAG.sub("", found.group(1) or found.group(2) or "")).strip()
    return Section(" ".join(heading.split()) or fallback, article_text(text))


def text_section(text: str, fallback: str) -> Section:
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) > 1 and lines[0] and len(lines[0]) <= 120:
        return Section(lines[0], "\n".join(lines[1:]).strip())
    return Section(fallback, text.strip())


def sections_of(name: str, text: str) -> tuple[str, list[Section]]:
    """The document's visibility and its sections (``name``: its path, the fallback title)."""
    fields, rest = front_matter(text.replace("\r\n", "\n"))
    fallback = fields.get("title") or Path(name).stem.replace("-", " ").replace("_", " ")
    suffix = Path(name).suffix.lower()
    if suffix in (".html", ".htm"):
        found = [html_section(rest, fallback)]
    elif suffix in (".txt", ".text"):
        found = [text_section(rest, fallback)]
    else:
        found = markdown_sections(rest, fallback)
    return visibility_of(fields), [s for s in found if s.text]


def articles_of(name: str, text: str) -> list[Article]:
    """The index entries of one document: ``name`` its path inside the folder."""
    visibility, sections = sections_of(name, text)
    stamp = hashlib.sha256(f"{visibility}\0{text}".encode()).hexdigest()
    found = []
    for number, section in enumerate(sections):
        language = detect_language(words(section.text), section.text)
        found.append(
            Article(
                id=document_id(name, number),
                title=section.heading,
                # The index reads bodies as HTML: plain text is escaped, HTML kept as it is.
                body=section.text
                if name.lower().endswith((".html", ".htm"))
                else html.escape(section.text).replace("\n", "<br>"),
                url=name,
                locale=language,
                updated_at=stamp,
                visibility="everyone" if visibility == "everyone" else "internal",
            )
        )
    return found


def read_folder(folder: Path, report: DocumentReport) -> Iterator[tuple[str, str]]:
    """Each readable document under ``folder`` as (path inside it, text), in path order;
    what cannot be read goes to ``report.skipped``."""
    if not folder.is_dir():
        raise ConfigError(
            f"TICKETBOT_KNOWLEDGE_DIR={folder} is not a directory: point it at the folder of "
            "your documents, or unset it"
        )
    paths: list[Path] = []
    for root, dirs, files in os.walk(folder):  # links to directories are not followed
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        paths += [Path(root, f) for f in sorted(files) if not f.startswith(".")]
    for path in paths:
        name = path.relative_to(folder).as_posix()
        if path.suffix.lower() not in SUFFIXES:
            continue
        if len(report.skipped) + report.listed >= MAX_FILES:
            report.skipped.append(f"{name}: more than {MAX_FILES} documents, the rest left out")
            return
        if path.is_symlink():
            report.skipped.append(f"{name}: a symbolic link, not followed")
            continue
        try:
            data = path.read_bytes() if path.stat().st_size <= MAX_BYTES else None
        except OSError as exc:
            report.skipped.append(f"{name}: cannot be read ({exc.strerror or exc})")
            continue
        if data is None:
            report.skipped.append(f"{name}: larger than {MAX_BYTES:,} bytes")
            continue
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            report.skipped.append(f"{name}: not UTF-8 text")
            continue
        report.listed += 1
        yield name, text


def sync_documents(
    index: ArticleIndex, folder: Path, *, embed: Embed | None = None
) -> DocumentReport:
    """Bring the index's documents in line with ``folder``: new and changed ones indexed,
    the ones no longer there removed; one transaction. Raises ``ConfigError`` when ``folder``
    is no directory (the index is then unchanged)."""
    report = DocumentReport()
    entries = [a for name, text in read_folder(folder, report) for a in articles_of(name, text)]
    kept: list[Article] = []
    ids: dict[int, str] = {}
    for article in entries:
        other = ids.setdefault(article.id, f"{article.url}: {article.title}")
        if other != f"{article.url}: {article.title}":
            report.skipped.append(f"{article.url}: {article.title}: same id as {other}")
            continue
        kept.append(article)
    put = put_entries(index, kept, is_document, embed=embed)
    report.indexed, report.unchanged = put.indexed, put.unchanged
    report.removed, report.encoded = put.removed, put.encoded
    return report


def summary(report: DocumentReport) -> str:
    """One line for ``kb sync``, and one per skipped file."""
    done = [f"{report.listed} read"]
    if report.indexed:
        done.append(f"{report.indexed} sections indexed (new or changed)")
    if report.removed:
        done.append(f"{report.removed} sections removed (gone from the folder)")
    lines = [f"documents synced: {'; '.join(done)}"]
    lines += [f"  skipped {reason}" for reason in report.skipped]
    return "\n".join(lines)
