"""Everything that talks to the Ethereum node."""
