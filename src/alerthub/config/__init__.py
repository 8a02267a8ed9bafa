"""Configuration: YAML with ${VAR} expansion, the seed's environment variables, validated once at start-up."""

from alerthub.config.loader import load_config
from alerthub.config.models import Config

__all__ = ["Config", "load_config"]
