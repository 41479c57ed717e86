"""The running summary an agent reads first: problem, what was done, where it stands, next step.

Kept in one helpdesk text field (``TICKETBOT_SUMMARY_FIELD``) and refreshed when a customer or an
agent writes. This folder holds the pure part: the thread as the summary reads it (``thread``),
the summary's parts and the one function that writes them as text in a language
(``build.render``, with ``templates``), the extractive chooser that needs no LLM
(``extractive``), the LLM's request and the strict reading of its answer (``written``), the
rule that keeps an agent's own edit of the field (``build.decide``) and the scoring of
summaries against labelled threads (``score``).
"""
