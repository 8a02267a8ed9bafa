from __future__ import annotations

from fastapi import APIRouter

from alerthub.api.deps import HubDep
from alerthub.api.responses import JSONResponse
from alerthub.api.serialize import rule_json

router = APIRouter(tags=["rules"])


@router.get("/api/rules")
async def list_rules(hub: HubDep) -> JSONResponse:
    """The effective rules: built-ins with the seed's thresholds, overridden or extended by config."""
    return JSONResponse({"rules": [rule_json(r) for r in sorted(hub.rules, key=lambda r: r.name)]})
