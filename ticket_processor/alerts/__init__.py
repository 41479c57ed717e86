"""Alerts and escalations where people are: the conditions a run or ``serve`` alerts on, each at
most once in its interval (``alerter``), and the list of tickets a run escalated (``escalation``).
Every text from a ticket is escaped for the channel it goes to."""
