"""Alerts and escalations where people are: the conditions a run or ``serve`` alerts on, each at
most once in its interval (``alerter``), the list of tickets a run escalated (``escalation``),
and the channels escalations reach besides it (``channels``): PagerDuty (``pagerduty``), e-mail
over SMTP (``mail``), Microsoft Teams (``teams``) and a JSON webhook signed with HMAC-SHA256
(``signed_webhook``). Every text from a ticket is escaped for the channel it goes to."""
