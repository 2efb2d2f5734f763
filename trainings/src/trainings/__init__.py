"""FiuFit trainings service."""

__version__ = "1.0.1"
