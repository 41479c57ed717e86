"""The spam gate: a new ticket that no customer wrote (unsolicited offers, phishing, bounces,
out-of-office replies, no-reply mail) is tagged, never answered, escalated or grouped into an
incident, and never deleted or closed.

``head`` is the learned part (a logistic head on the bundled encoder's vectors, its weights as
JSON data), ``cues`` what the helpdesk says of the sender, ``gate`` the verdict from both and
from the LLM's view.
"""
