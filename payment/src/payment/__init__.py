"""FiuFit payment service."""

__version__ = "1.1.0"
