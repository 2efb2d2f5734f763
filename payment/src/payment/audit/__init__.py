"""The append-only log of admin actions payment carries out (an admin's top-up): written in the
action's own transaction (`repository.record`), read at GET /payment/audit."""
