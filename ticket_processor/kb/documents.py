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
the mistake that costs is quoting an internal page to a customer. A public document holding
personal data (a ticket pasted in), a promise of money or words telling its reader what to tell
the customer (``triage.quotable``) is not synced, and said with its name. Files are read as
UTF-8 and never followed through a symbolic link (the folder is the team's, a link out of it is
not); a file that cannot be read, is too large or is not UTF-8 is skipped and said, the rest
indexed.
Hidden files and folders (``.git``) are left out without a word: a folder kept in git would
otherwise list its every object.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..common.atomic import open_state_file
from ..errors import ConfigError, StateFileRefused
from ..models import Article
from ..triage.language import detect_language
from ..triage.note_text import strip_controls
from .front_matter import front_matter, visibility_of, visibility_said
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
# The bounds of one reading of the folder, each far past a team's documents (a few hundred
# pages, a few MB) and each met quickly by a wrong folder (``/usr/share/doc``, a home
# directory): the names looked at, the bytes read in all, the folders' depth. Past the first
# two the sync stops and the index keeps the documents as last synced; a folder deeper than
# the third is said and left out.
MAX_ENTRIES = 50_000
MAX_TOTAL_BYTES = 100_000_000
MAX_DEPTH = 32
# A team's folder reads in seconds; a reading still going after this is a wrong folder or a
# stalled mount, and neither ``kb sync`` nor a run without ``--max-runtime`` should wait on it.
MAX_SECONDS = 300.0
# Read in blocks, so that running out of time is noticed inside a slow file too.
_BLOCK = 64 * 1024

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
    # The public documents (quoted to customers), and what their front matter says that
    # ticketbot does not read (a misspelt key or value: the document stays internal).
    public: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Why the reading stopped before the end of the folder (a bound, the time): the index is
    # then left as it was, since the documents not reached would otherwise be removed.
    stopped: str = ""

    def as_event(self) -> dict[str, object]:
        event: dict[str, object] = {
            "documents": self.listed,
            "indexed": self.indexed,
            "removed": self.removed,
            "skipped": len(self.skipped),
        }
        if self.stopped:
            event["stopped"] = self.stopped
        return event


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
    # What a document says reaches a note and a reply: no escape sequence, control or bidi
    # override of its may reorder or hide what an agent or a customer reads.
    fields, rest = front_matter(strip_controls(text))
    stem = strip_controls(Path(name).stem)  # a file's name may hold them too
    fallback = fields.get("title") or stem.replace("-", " ").replace("_", " ")
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
                url=strip_controls(name),
                locale=language,
                updated_at=stamp,
                visibility="everyone" if visibility == "everyone" else "internal",
            )
        )
    return found


def read_folder(
    folder: Path,
    report: DocumentReport,
    *,
    out_of_time: Callable[[], bool] = lambda: False,
    on_file: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[tuple[str, str]]:
    """Each readable document under ``folder`` as (path inside it, text), in path order;
    what cannot be read goes to ``report.skipped``. ``out_of_time`` ends the reading (said in
    ``report.stopped``) between files and between a file's blocks; ``on_file`` hears each
    document's path as it is read (a terminal's progress). The reading never lasts more than
    ``MAX_SECONDS`` on ``clock`` either."""
    folder = folder.expanduser()  # "~/docs" as a shell would read it (a .env does not)
    if not folder.is_dir():
        raise ConfigError(
            f"TICKETBOT_KNOWLEDGE_DIR={folder} is not a directory: point it at the folder of "
            "your documents, or unset it"
        )
    budget = _Budget()
    ends = clock() + MAX_SECONDS

    def over() -> bool:
        return out_of_time() or clock() >= ends

    for path, name in _walk(folder, report, budget):
        if over():
            report.stopped = f"out of time after {report.listed} documents"
            return
        if len(report.skipped) + report.listed >= MAX_FILES:
            report.stopped = f"more than {MAX_FILES:,} documents"
            return
        if budget.read >= MAX_TOTAL_BYTES:
            report.stopped = f"more than {MAX_TOTAL_BYTES:,} bytes read"
            return
        if on_file is not None:
            on_file(name)
        data = _read_document(path, name, report, budget, over)
        if data is None:
            if report.stopped:
                return
            continue
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            report.skipped.append(f"{name}: not UTF-8 text")
            continue
        report.listed += 1
        yield name, text


@dataclass
class _Budget:
    """What one reading of the folder has spent of its bounds."""

    entries: int = 0
    read: int = 0


def _walk(folder: Path, report: DocumentReport, budget: _Budget) -> Iterator[tuple[Path, str]]:
    """Each document-named entry under ``folder`` as (its path, its name inside the folder),
    files of a folder before its subfolders, each in name order. A loop, not a recursion: a
    folder thousands deep is said and left out, never a ``RecursionError``. Links to folders
    are not followed; hidden names are left out."""
    stack: list[tuple[Path, int]] = [(folder, 0)]
    while stack:
        here, depth = stack.pop()
        try:
            with os.scandir(here) as listing:
                found = sorted(
                    (e for e in listing if not e.name.startswith(".")), key=lambda e: e.name
                )
        except OSError as exc:
            report.skipped.append(
                f"{_inside(folder, here)}/: cannot be listed ({exc.strerror or exc})"
            )
            continue
        budget.entries += len(found)
        if budget.entries > MAX_ENTRIES:
            report.stopped = f"more than {MAX_ENTRIES:,} files and folders looked at"
            return
        folders = []
        for entry in found:
            path = Path(entry.path)
            if _is_folder(entry):
                if depth + 1 > MAX_DEPTH:
                    report.skipped.append(
                        f"{_inside(folder, path)}/: deeper than {MAX_DEPTH} folders, not read"
                    )
                else:
                    folders.append(path)
            elif path.suffix.lower() in SUFFIXES:
                yield path, _inside(folder, path)
        stack += [(path, depth + 1) for path in reversed(folders)]


def _inside(folder: Path, path: Path) -> str:
    return path.relative_to(folder).as_posix() if path != folder else "."


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _read_document(
    path: Path,
    name: str,
    report: DocumentReport,
    budget: _Budget,
    out_of_time: Callable[[], bool],
) -> bytes | None:
    """The bytes of the regular file at ``path``, or None with the reason in ``report``.

    Looked at before it is opened: a FIFO blocks in ``open`` itself until a writer comes, a
    device may never end. Opened without following a link and without blocking
    (``open_state_file``), so a FIFO put in the file's place between the look and the open is
    refused too; read in blocks, within the file's and the folder's bounds and the time."""
    try:
        found = os.lstat(path)
    except OSError as exc:
        report.skipped.append(f"{name}: cannot be read ({exc.strerror or exc})")
        return None
    if stat.S_ISLNK(found.st_mode):
        report.skipped.append(f"{name}: a symbolic link, not followed")
        return None
    if not stat.S_ISREG(found.st_mode):
        report.skipped.append(f"{name}: {_kind(found.st_mode)}, not a regular file")
        return None
    if found.st_size > MAX_BYTES:
        report.skipped.append(f"{name}: larger than {MAX_BYTES:,} bytes")
        return None
    try:
        fd = open_state_file(path, os.O_RDONLY)
    except StateFileRefused as exc:
        report.skipped.append(f"{name}: {exc}")
        return None
    except OSError as exc:
        report.skipped.append(f"{name}: cannot be read ({exc.strerror or exc})")
        return None
    blocks: list[bytes] = []
    size = 0
    try:
        while True:
            if out_of_time():
                report.stopped = f"out of time reading {name}"
                return None
            block = os.read(fd, _BLOCK)
            if not block:
                break
            size += len(block)
            budget.read += len(block)
            if size > MAX_BYTES:  # it grew since it was looked at
                report.skipped.append(f"{name}: larger than {MAX_BYTES:,} bytes")
                return None
            blocks.append(block)
    except OSError as exc:
        report.skipped.append(f"{name}: cannot be read ({exc.strerror or exc})")
        return None
    finally:
        os.close(fd)
    return b"".join(blocks)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a file"


def sync_documents(
    index: ArticleIndex,
    folder: Path,
    *,
    embed: Embed | None = None,
    out_of_time: Callable[[], bool] = lambda: False,
    on_file: Callable[[str], None] | None = None,
) -> DocumentReport:
    """Bring the index's documents in line with ``folder``: new and changed ones indexed,
    the ones no longer there removed; one transaction. Raises ``ConfigError`` when ``folder``
    is no directory; a reading stopped short (``report.stopped``: a bound, ``out_of_time``)
    leaves the index unchanged too."""
    report = DocumentReport()
    read = read_folder(folder, report, out_of_time=out_of_time, on_file=on_file)
    entries: list[Article] = []
    for name, text in read:
        found = _quotable(articles_of(name, text), report)
        said = visibility_said(name, front_matter(strip_controls(text))[0])
        report.notes += [said] if said else []
        report.public += [name] if any(a.visibility == "everyone" for a in found) else []
        entries += found
    if report.stopped:
        return report
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


def _quotable(articles: list[Article], report: DocumentReport) -> list[Article]:
    """A document's entries, or none when it is public and holds what a reply may never quote
    (personal data pasted from a ticket, a promise of money, words to its reader): said in
    ``report.skipped`` with the file's name. An internal document is only shown to agents."""
    from ..triage.quotable import unquotable  # the redaction rules: only when a folder syncs

    for article in articles:
        if article.visibility != "everyone":
            continue
        why = unquotable(article_text(article.body))
        if why is not None:
            report.skipped.append(
                f"{article.url}: public, but its section {article.title!r} holds {why}: "
                "not synced; take that out of the file, or mark the document internal"
            )
            return []
    return articles


def summary(report: DocumentReport) -> str:
    """One line for ``kb sync``, and one per skipped file."""
    done = [f"{report.listed} read"]
    if report.indexed:
        done.append(f"{report.indexed} sections indexed (new or changed)")
    if report.removed:
        done.append(f"{report.removed} sections removed (gone from the folder)")
    if report.public:
        shown = ", ".join(report.public[:10]) + (", …" if len(report.public) > 10 else "")
        done.append(f"{len(report.public)} public, quoted to customers ({shown})")
    lines = [f"documents synced: {'; '.join(done)}"]
    if report.stopped:
        lines = [
            f"documents not synced: stopped reading the folder ({report.stopped}) after "
            f"{report.listed} read; the index keeps the documents as last synced"
        ]
    lines += [f"  skipped {reason}" for reason in report.skipped]
    lines += [f"  note: {note}" for note in report.notes]
    return "\n".join(lines)
