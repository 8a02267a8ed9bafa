import re

import httpx


async def test_docs_page_and_every_asset_it_loads_are_served_locally(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources), sources
    for source in sources:
        asset = await client.get(source)
        assert asset.status_code == 200, source
        assert len(asset.content) > 20
    assert "<script>" not in page.text, "no inline script: a strict Content-Security-Policy must allow the page"


async def test_openapi_document_lists_the_contract(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ("/api/alerts/send", "/api/v2/alerts", "/v2/enqueue", "/api/alerts", "/api/silences"):
        assert path in paths
