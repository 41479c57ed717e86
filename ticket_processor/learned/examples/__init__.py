"""The examples engine: a team's own categories classified from day one, without an LLM and
without labelled history, from each category's description and a few ``examples`` in the
taxonomy file.

``fit`` turns the taxonomy's descriptions and examples into training rows and fits the learned
engine's model on their sentence vectors only (the multilingual encoder's: examples in one
language classify tickets in another), cross-validated on the examples so its confidence is
calibrated from the first run; ``cache`` keeps the fitted model in the state directory under
the taxonomy's hash; ``check`` says which categories have too few or too similar examples and
which pairs cross-validation confuses.
"""
