"""The first day's prior (``IncidentPolicy.first_day_share``), chosen on the dev hours.

    python -m scripts.figures incidents_first_day_share

With less than a week of history, a group's kind is expected to bring ``first_day_share`` of the
hour's other tickets, and a group is suggested at 3 times that with a Poisson tail of at most
1e-6 (``IncidentPolicy.first_day_expected``), besides the one-fault test. Each dev hour is judged
once (the groups do not depend on the share); then, for each share tried, the groups that pass
the rate and Poisson tests with the one-fault test, and the ordinary hours' groups that pass the
rate and Poisson tests alone (saved only by the one-fault test, in brackets). The dev hours,
with no history: the thermostat's, the smart lock's and the streaming app's first-day
``ordinary``, ``outage`` and ``busy_outage`` hours (``scripts/incident_heldout.py first_day``)
and the shop's twenty dev hours (``incidents_first_day_dev``). The share ships where no ordinary
hour's group passes the rate and Poisson tests and every outage group that passes at the lowest
such share still passes: the middle of that interval.
"""

from __future__ import annotations

import argparse

from scripts import figures_incidents_first_day as shared
from ticket_processor.common.baseline import poisson_tail
from ticket_processor.incidents.fault import load_fault_head
from ticket_processor.incidents.grouping import Reading, judge
from ticket_processor.incidents.labelled import labelled_window
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.learned.embed import Encoder

SHARES = (0.1, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17, 0.18, 0.19, 0.2, 0.22, 0.25, 0.3)


def dev_groups() -> list[tuple[str, Reading]]:
    """Every group of at least ``min_reports`` the dev hours form with no history, by hour."""
    head, encode, policy = load_fault_head(), Encoder().encode, IncidentPolicy()
    hours = [
        (f"{product} {hour}", shared.first_day_rows(product, hour, False))
        for product in ("thermostat", "lock", "stream")
        for hour in ("ordinary", "outage", "busy_outage")
    ]
    for seed in range(10):
        for name, rows in shared.first_day_dev_hours(seed):
            hours.append((f"shop{seed} {name.split()[0]}", rows))
    groups: list[tuple[str, Reading]] = []
    for name, rows in hours:
        window, now = labelled_window(rows, encode)
        since = min(int(row["_created"]) for row in rows)
        found = judge(window, now, policy, fault=head, history_from=since)
        for burst in found.bursts + found.declined:
            if burst.reading.reports >= policy.min_reports:
                groups.append((name, burst.reading))
    return groups


def incidents_first_day_share(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__.split("\n")[0]).parse_args(argv)
    policy = IncidentPolicy()
    groups = dev_groups()
    for share in SHARES:
        said = []
        for name, read in groups:
            expected = max(0.5, share * read.hour_others)
            rare = read.reports >= policy.short_rate_factor * expected
            rare = rare and poisson_tail(read.reports, expected) <= policy.p_value
            one_fault = read.core >= policy.min_reports and read.shared >= policy.min_reports
            if rare and one_fault:
                said.append(f"{name} {read.reports}")
            elif rare and "ordinary" in name:
                said.append(f"({name} {read.reports})")
        print(f"share {share:.2f}: {', '.join(said) or 'none'}", flush=True)
    print(f"shipped: {policy.first_day_share:g}")


if __name__ == "__main__":
    incidents_first_day_share()
