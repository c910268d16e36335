"""YAML read the safe way with libyaml's parser when PyYAML was built with it (about ten times faster)."""

from typing import Any

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    return yaml.load(text, Loader=LOADER)
