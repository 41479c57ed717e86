"""``ticketbot backfill``: the past's tickets triaged as the runs triage them.

``backfill`` drives slices of ``run.runner.run_once`` over the backfill's own cursor (or sends
prepared tickets through the LLM's Batch API first, ``batch``); what both paths share, the
backfill's record and one slice under the run lock, is ``session``.
"""
