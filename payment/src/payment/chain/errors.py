"""The chain's own outage: payment's exception beside the shared ones in errors.py (glue)."""

from payment.errors import ServiceUnavailable


class ChainUnavailable(ServiceUnavailable):
    """The Ethereum node cannot be reached."""

    def __init__(self, detail: str = "Blockchain unreachable") -> None:
        super().__init__(detail=detail)
