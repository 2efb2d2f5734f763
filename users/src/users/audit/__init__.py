"""The append-only log of admin actions: written in each action's own transaction
(`record`), read by admins at GET /admins/audit."""
