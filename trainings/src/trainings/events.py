"""The events trainings publishes through the outbox (outbox.py; the contract is in the root
README, "Event contract"): the metric names, with their label in the comment, and the `source`."""

SOURCE = "trainings"

TRAINING_CREATED_COUNT = "training_created_count"  # label: the training's type
TRAINING_BLOCKED_COUNT = "training_blocked_count"  # label: the training's type
TRAINING_UNBLOCKED_COUNT = "training_unblocked_count"  # label: the training's type
TRAINING_FAVOURITED_COUNT = "training_favourited_count"  # label: the training's type
TRAINING_UNFAVOURITED_COUNT = "training_unfavourited_count"  # label: the training's type
TRAINING_RATED_COUNT = "training_rated_count"  # label: the rate, "1"…"5"
TRAINING_RATING_CLEARED_COUNT = "training_rating_cleared_count"  # label: the training's type
