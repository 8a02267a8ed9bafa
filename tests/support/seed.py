from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SEED = Path(__file__).parent.parent / "fixtures" / "seed"


def seed_payloads() -> dict[str, Any]:
    """Every body the seed guide posts, by file stem."""
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(SEED.glob("*.json"))}
