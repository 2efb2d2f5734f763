"""User wallets: one per user, private key sealed at rest."""
