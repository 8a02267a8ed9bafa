"""alerthub: a self-hosted, unified alerting hub."""

__version__ = "0.1.0"
