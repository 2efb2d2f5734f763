"""The back-office counters: sums of the rollups (rollups.py) over a window."""
