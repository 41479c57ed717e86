"""The write-back decision's parts; ``tags.py`` at the top level is its public way in."""
