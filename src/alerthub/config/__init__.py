"""Configuration: YAML with ${VAR} expansion, the seed's environment variables, the file's shape and the
checks across its keys. The bottom layer: imports only `domain/` and `errors`; the checks only the boxes
can make (matchers, templates, channels) run at the composition root (`hub.load_config`)."""

from alerthub.config.checks import cross_check
from alerthub.config.loader import read_config
from alerthub.config.models import Config

__all__ = ["Config", "cross_check", "read_config"]
