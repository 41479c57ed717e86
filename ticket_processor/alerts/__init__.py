"""Alerts and escalations where people are: PagerDuty (``pagerduty``), e-mail over SMTP
(``mail``), Microsoft Teams (``teams``) and a JSON webhook signed with HMAC-SHA256
(``signed_webhook``), each a channel the escalations are handed to (``channels``). Every text
from a ticket is escaped for the channel it goes to."""
