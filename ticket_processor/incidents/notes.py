"""What ticketbot writes about an incident or a repeat ticket: the notes, the alert, the marker,
and the run's line on a group judged no incident.

Every note ends with a marker line (``[ticketbot incident #P]``, ``[ticketbot duplicate of
#E]``): a write recovered after a kill -9 looks for it before posting a note again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..helpdesks.registry import incident_linking

if TYPE_CHECKING:
    from .grouping import Reading
    from .policy import IncidentPolicy


def incident_marker(group: int | None) -> str:
    return f"[ticketbot incident #{group}]" if group is not None else "[ticketbot incident]"


def duplicate_marker(earlier: int) -> str:
    return f"[ticketbot duplicate of #{earlier}]"


def member_note(
    *, title: str, group: int | None, reports: int, first_seen: str, url: str | None, kind: str
) -> str:
    linking = incident_linking(kind)
    what = linking.group_noun if linking is not None else "incident ticket"
    link = f" ({url})" if url else ""
    where = f"{what} #{group}{link}" if group is not None else f"a new {what}"
    return (
        f"ticketbot: this ticket is one of {reports} reports of one incident, "
        f"“{title}”, first seen {first_seen}; linked to {where}. "
        "Answer them together: solving the incident answers every report.\n"
        f"{incident_marker(group)}"
    )


def ticket_list(ids: Sequence[int], shown: int = 20) -> str:
    """``#12, #15 and 3 more``: a bounded list of tickets for a note or a line."""
    named = ", ".join(f"#{t}" for t in ids[:shown])
    return named + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


def suggested_marker() -> str:
    return "[ticketbot incident suggested]"


def history_said(days: float) -> str:
    """How much history the helpdesk has, as the note, the run's caution and a suggested
    incident's reason all say it: ``less than a day``, ``2 days``, ``2.5 days``."""
    return "less than a day" if days < 1 else f"{round(days, 1):g} days"


def suggested_note(
    *,
    title: str,
    others: Sequence[int],
    first_seen: str,
    history_days: float,
    link_days: int,
    why: str = "",
) -> str:
    """A report of what may be an incident, on a helpdesk with too little history to link, or
    (``why``) one whose requesters the helpdesk does not vouch for (``vouching``)."""
    because = why or (
        f"the helpdesk has {history_said(history_days)} of tickets, and ticketbot links an "
        f"incident once it has {link_days} days to compare an hour with; until then it only "
        "suggests"
    )
    return (
        f"ticketbot: this ticket may be one report of an incident, “{title}”, first seen "
        f"{first_seen}, with {ticket_list(others)}. Not linked: {because}. "
        "Link them yourself if they are one fault.\n"
        f"{suggested_marker()}"
    )


def problem_note(*, title: str, reports: int, first_seen: str, kind: str) -> str:
    """The group ticket's note (Zendesk: the first report, now the problem; Freshdesk: the
    tracker's description), in the words of the kind's ``IncidentLinking``."""
    linking = incident_linking(kind)
    says = linking.group_says if linking is not None else ""
    return (
        f"ticketbot: {reports} customers reported the same problem, “{title}”, "
        f"first seen {first_seen}. {says}\n"
        f"{incident_marker(None)}"
    )


def duplicate_note(*, earlier: int, url: str, similarity: float, merged: bool) -> str:
    if merged:
        head = f"ticketbot merged this ticket into #{earlier} ({url})"
    else:
        head = f"ticketbot: possible duplicate of #{earlier} ({url})"
    return (
        f"{head}: the same requester, an open ticket about the same thing "
        f"(similarity {similarity:.2f}). Merging is an agent's decision.\n"
        f"{duplicate_marker(earlier)}"
    )


def revert_note(what: str) -> str:
    return f"ticketbot: {what} was reverted (`ticketbot revert`)."


def alert_text(
    *,
    title: str,
    reports: int,
    first_seen: str,
    subjects: Sequence[str],
    url: str | None,
    grown_from: int | None,
    clean: Callable[[str], str],
) -> str:
    head = (
        f"incident grew from {grown_from} to {reports} reports"
        if grown_from
        else f"incident: {reports} customers report the same problem"
    )
    samples = "; ".join(f"“{clean(s)[:80]}”" for s in subjects[:3])
    link = f" {url}" if url else ""
    return f"{head}: “{clean(title)[:80]}”, first seen {first_seen}. Samples: {samples}.{link}"


def not_an_incident(reading: Reading, policy: IncidentPolicy) -> str:
    """The run's one line on a group judged and not suggested or linked, with the first test
    of the rule (``grouping._reading``, then the one-fault test) it failed: without it a
    first day's outage that stays unsuggested looks like one never seen."""
    why = failed_test(reading, policy)[1]
    return f"a group of {reading.reports} reports judged no incident: {why}"


def failed_test(reading: Reading, policy: IncidentPolicy) -> tuple[str, str]:
    """The first test of the rule the group failed: its name (a later run's verdict on the same
    group is the same when the name is, whatever the figures now read) and what it read."""
    reports, expected = reading.reports, reading.expected
    factor = policy.short_rate_factor if reading.short_history else policy.rate_factor
    usual = f"{expected:.1f} expected of that kind (the hour {reading.busy:.1f} times as busy)"
    if reading.hour_others:  # a first day: a prior's share of the hour's other tickets
        usual = (
            f"{expected:.1f} expected of that kind (with less than a day of history, "
            f"{policy.first_day_share:g} of the hour's {reading.hour_others} other tickets)"
        )
    if reports < policy.min_reports:
        return "reports", f"fewer than the {policy.min_reports} reports an incident needs"
    if reading.short_history and reading.core < policy.min_reports:
        return (
            "one_fault",
            f"only {reading.core} of them tell one fault, under {policy.min_reports}",
        )
    if reports < factor * expected:
        return "rate", f"{usual}, under {factor:g} times that"
    if reading.p_value > policy.p_value:
        return "p_value", f"{usual}, p {reading.p_value:.2g} above {policy.p_value:g}"
    if reading.shared < policy.min_reports:
        return "shared", (
            f"only {reading.shared} texts of their own share what broke beyond the product's "
            f"everyday complaints (copies of one text count once), under {policy.min_reports}"
        )
    return "week", (
        f"the week brings what they share about as often ({reading.shared_expected:.1f} "
        "expected in such an hour)"
    )
