"""The ledger: every money movement, its transactions and its state."""
