"""Path and query parameter types shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from alerthub.validation import Timestamp

# Row ids are 64-bit in both databases; a larger number in a URL is a 422, not a driver overflow (500).
RowId = Annotated[int, Path(ge=1, le=2**63 - 1, description="a positive row id")]
# A time with its offset, inside the range the store can convert to UTC (else 422, not an overflow).
Since = Annotated[Timestamp | None, Query(description="only alerts seen at or after this time")]
