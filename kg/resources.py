"""Reference data shipped in kg/data/: gazetteers, patterns and templates, loaded once."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any


def data_path(name: str) -> Path:
    """The path of kg/data/<name>."""
    return Path(str(resources.files("kg").joinpath("data", name)))


@cache
def load_json(name: str) -> Any:
    return json.loads(data_path(name).read_text("utf-8"))


@cache
def load_jsonl(name: str) -> tuple[dict[str, Any], ...]:
    lines = data_path(name).read_text("utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line.strip())
