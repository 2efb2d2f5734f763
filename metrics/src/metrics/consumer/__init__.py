"""The ``metrics-consumer`` process: Redis Stream ``fiufit:events`` → MongoDB ``metrics``."""
