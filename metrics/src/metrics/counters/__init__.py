"""The back-office counters: aggregation of the stored events."""
