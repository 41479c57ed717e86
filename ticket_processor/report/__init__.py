"""What the runs did, from the JSON-lines log: aggregation, terminal tables, the HTML page."""
