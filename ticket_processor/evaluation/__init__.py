"""Scoring an engine on labelled tickets: the labelled file, the figures, how they are shown."""
