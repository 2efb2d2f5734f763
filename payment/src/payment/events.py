"""The events payment publishes through the outbox (outbox.py; the contract is in the root README,
"Event contract"): the metric names, their labels, and the event `source`."""

SOURCE = "payment"

WALLET_CREATED_COUNT = "wallet_created_count"
PAYMENT_CONFIRMED_COUNT = "payment_confirmed_count"  # label: the movement's kind
PAYMENT_FAILED_COUNT = "payment_failed_count"  # label: the movement's kind
# The owner's balance dropped below PAYMENT_OWNER_BALANCE_ALERT (once per drop).
PAYMENT_OWNER_BALANCE_LOW_COUNT = "payment_owner_balance_low_count"
