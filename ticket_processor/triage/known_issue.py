"""Whether a source tells of a known issue: a fault the team knows of and is working on.

A help-centre article explains how a thing works ("an empty CSV export probably has a filter
that matches no rows"); a ready-made reply or a document titled "Known issue: CSV export" says
the thing is broken now and engineers are on it. Both can fit one ticket. Quoting the article
then tells the customer the fault is theirs while the team's own knowledge says it is not:
where a known-issue source fits the ticket, no automatic answer goes out (the answers hold it
for an agent, who has the known issue in the note).

``known_issue`` reads a source's title and text for the words a team writes such a source in,
in the answers' six languages ("known issue", "our engineers are working on a fix", "we are
aware of", "bekanntes Problem", "problème connu", "problema conocido"...). Pure.
"""

from __future__ import annotations

import re

_KNOWN = re.compile(
    r"\b(?:known (?:issue|problem|bug|outage|incident|limitation)s?"
    r"|(?:we are|we're|we have been) (?:aware of|investigating|looking into)"
    r"|(?:engineers?|developers?|team) (?:know|knows|are aware|is aware|are working|is working"
    r"|are investigating|is investigating)\b"
    r"|working on a (?:fix|solution|patch)|a fix is (?:on its way|coming|being deployed)"
    r"|(?:partial|ongoing|current) (?:outage|service disruption|disruption)"
    # de, fr, es, nl, pt
    r"|bekannte[sr]? (?:problem|fehler|störung)|wir arbeiten an einer lösung"
    r"|(?:problème|bug|incident) connu|nous travaillons (?:à|sur) (?:un correctif|une solution)"
    r"|problema conocido|estamos trabajando en (?:una solución|un arreglo)"
    r"|bekend (?:probleem|issue)|we werken aan een oplossing"
    r"|problema conhecido|estamos a trabalhar numa solução|estamos trabalhando em uma solução)",
    re.IGNORECASE,
)


def known_issue(title: str, text: str = "") -> str | None:
    """The words that make ``title`` or ``text`` a known issue's source, or None."""
    found = _KNOWN.search(title) or _KNOWN.search(text)
    return None if found is None else found.group(0)
