"""salescli: a sales pipeline tool for the terminal."""

__version__ = "0.1.0"
