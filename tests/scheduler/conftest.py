"""Loading the scheduler reference vectors (shared by the scheduler test modules)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from tests.conftest import SCHEDULER_VECTORS


def vector_paths(kind: str) -> list[Path]:
    """Sorted ``score`` or ``run`` vector files (empty when the reference data is absent)."""
    folder = SCHEDULER_VECTORS / kind
    return sorted(folder.glob(f"{kind}-*.json.gz")) if folder.exists() else []


def load_vector(path: Path) -> dict[str, Any]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def vector_ids(kind: str) -> list[str]:
    return [p.name.split(".")[0] for p in vector_paths(kind)]
