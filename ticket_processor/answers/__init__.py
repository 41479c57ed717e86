"""Answering the customer: a grounded public reply from the help centre, only where it helps.

The decisions (may this ticket be answered, which article, which excerpt, is an LLM's text
supported by the article) are pure functions on plain data; the reply's delivery goes through
the ``AnswerDesk`` protocol both helpdesk adapters implement. The run's answering pass
(``answering.RunAnswers``), a reviewed draft sent from the dashboard (``review``) and a run's
answers undone (``revert``) live here too; ``run/`` builds them from the settings.
"""
