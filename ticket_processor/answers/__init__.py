"""Answering the customer: a grounded public reply from the help centre, only where it helps.

The decisions (may this ticket be answered, which article, which excerpt, is an LLM's text
supported by the article) are pure functions on plain data; the reply's delivery goes through
the ``AnswerDesk`` protocol both helpdesk adapters implement; the run composes them in ``run/``.
"""
