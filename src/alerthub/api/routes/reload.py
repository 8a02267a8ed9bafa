"""`POST /-/reload`: Alertmanager's endpoint. Re-reads the configuration file and applies it (hub_reload.py),
here and, through the broadcast, on every instance on the same database. Admin only, as every POST
outside ingest."""

from __future__ import annotations

from fastapi import APIRouter, Request

from alerthub.api.errors import error_body
from alerthub.api.responses import JSONResponse

router = APIRouter(tags=["operations"])


@router.post("/-/reload")
async def reload_configuration(request: Request) -> JSONResponse:
    """Reload the configuration file. 200 when applied (`restart_needed` lists changed keys that wait for
    a restart: server, storage, auth); 400 with every problem and its location when the file is invalid,
    in which case the running configuration stays."""
    reloader = request.app.state.reloader
    if reloader is None:
        body = error_body("this process was not started by `alerthub serve`: there is no file to read again", [])
        return JSONResponse(body, status_code=409)
    outcome = await reloader.reload("POST /-/reload")
    if not outcome.ok:
        message = "the configuration file is invalid; the running configuration stays"
        return JSONResponse(error_body(message, list(outcome.problems)), status_code=400)
    return JSONResponse({"status": "reloaded", "restart_needed": list(outcome.restart_needed)})
