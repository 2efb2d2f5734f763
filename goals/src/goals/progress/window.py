"""The metricsProgress arithmetic (README, "How progress is computed").

Every progress change appends (recorded_at, delta = new progress - old progress) to the log.
The progress on a metric over the last N days, asked at instant `now`, is the sum of the deltas
of the user's entries for that metric, over all their goals (deleted ones included), with
`now - N days <= recorded_at <= now`. N is 1 to 365; days are exactly 24 hours.
"""

from datetime import datetime, timedelta

MIN_DAYS = 1
MAX_DAYS = 365
DEFAULT_DAYS = 7


def window(now: datetime, days: int) -> tuple[datetime, datetime]:
    """The closed interval of timestamps that count: [now - days, now]."""
    return now - timedelta(days=days), now
