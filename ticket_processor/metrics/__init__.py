"""A run's figures for Prometheus: pushed to a Pushgateway (the shard in the grouping key) or
written to the node exporter's textfile directory (``export``)."""
