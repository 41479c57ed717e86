"""Topics: what the tickets are about when the taxonomy does not say, and which categories rise.

``cluster`` groups sentence vectors into topics without being told how many; ``naming`` names a
topic by its distinctive words; ``coverage`` says whether the taxonomy already covers a topic;
``fragment`` writes the uncovered topics as a taxonomy fragment a person edits; ``rising`` keeps
per-category counts per day and says which category is far above its own baseline. ``ticketbot
discover`` (``commands/discover.py``) composes the first four; the run feeds ``rising``.
"""
