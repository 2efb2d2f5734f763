"""FiuFit metrics service: the event consumer and the back-office counters API."""

from importlib.metadata import version

__version__ = version("fiufit-metrics")
