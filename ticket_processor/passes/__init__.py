"""What the run's passes share: the run's options and summary (``types``), the write-back
planner every pass plans through (``planner``), and the pass interface the run calls in order
(``protocol``)."""
