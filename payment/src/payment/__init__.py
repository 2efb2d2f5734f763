"""FiuFit payment service."""

from importlib.metadata import version

__version__ = version("fiufit-payment")
