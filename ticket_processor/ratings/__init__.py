"""Ratings of what ticketbot did, by the people it served.

Agents rate on the dashboard's ticket page (``dashboard/rating.py``) or with a feedback tag on
the ticket (``tags``: ``ai_feedback_helped``, ``ai_feedback_not_helped``,
``ai_feedback_wrong_category``, read as the next run or ``serve`` delivery meets the ticket);
both land in the audit store's ``ratings`` table, which ``figures`` counts for ``report``, the
answers' and suggestions' figures, and ``learn``'s labels.
"""
