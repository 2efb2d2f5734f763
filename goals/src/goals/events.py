"""The events goals publishes through the outbox (outbox.py; the contract is in the root README,
"Event contract"): the metric names, with their label in the comment, and the `source`."""

SOURCE = "goals"

GOAL_CREATED_COUNT = "goal_created_count"  # label: the goal's metric
GOAL_COMPLETED_COUNT = "goal_completed_count"  # label: the goal's metric
