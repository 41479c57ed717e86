"""The risk that a ticket ends badly: reopened, escalated, or rated bad by its customer.

``inputs`` what a run knows of a ticket when it triages it (sentiment, urgency, the sentiment
trend, the customer's contacts, how long it waited), ``rules`` the fallback when no head was
learned, ``head`` the head ``learn --from-helpdesk`` fits on the helpdesk's own solved tickets
(its weights a JSON file), ``scorer`` the verdict a run puts on each triage (first messages and
customers' replies), and its pass.
"""
