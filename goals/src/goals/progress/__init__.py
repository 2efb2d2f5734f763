"""The append-only progress log and the progress made on a metric over the last N days."""
