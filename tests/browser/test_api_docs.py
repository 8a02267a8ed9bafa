"""/docs renders in Chromium with no network but loopback: Swagger UI reads FastAPI's OpenAPI 3.1 document
and lists the operations (Swagger UI 4 said "Unable to render this definition")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.server import running_hub

TIMEOUT_MS = 15_000


def test_docs_page_lists_the_operations(browser: Any, tmp_path: Path, screenshots: Path) -> None:
    with running_hub(tmp_path / "docs") as hub:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        outside: list[str] = []
        page.on("request", lambda r: None if r.url.startswith(hub.url) else outside.append(r.url))
        page.goto(hub.url + "/docs")
        page.locator(".opblock-summary-path", has_text="/api/alerts/send").first.wait_for()
        paths = set(page.locator(".opblock-summary-path").all_inner_texts())
        assert {"/api/alerts/send", "/api/v2/alerts", "/v2/enqueue", "/api/silences"} <= {p.strip() for p in paths}
        assert page.locator("text=Unable to render this definition").count() == 0
        page.screenshot(path=str(screenshots / "api-docs.png"))
        context.close()
    assert outside == [], outside
