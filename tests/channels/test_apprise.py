from __future__ import annotations

import httpx
import pytest

from alerthub.channels.apprise import AppriseChannel, AppriseChannelConfig
from alerthub.delivery.compose import render
from alerthub.errors import ConfigError, DeliveryError
from support.channel_samples import payload
from support.standins import Receiver


def channel(*urls: str) -> tuple[AppriseChannel, AppriseChannelConfig]:
    cfg = AppriseChannelConfig.model_validate({"name": "apprise", "type": "apprise", "urls": list(urls)})
    return AppriseChannel(cfg), cfg


async def test_json_url_reaches_a_loopback_server(receiver: Receiver, http: httpx.AsyncClient) -> None:
    port = receiver.server.server_address[1]
    ch, cfg = channel(f"json://127.0.0.1:{port}/notify")
    await ch.send(render(payload(), cfg), http)
    body = receiver.requests[0].json()
    assert receiver.requests[0].path == "/notify"
    assert body["title"] == "[CRITICAL] CPU high — web-1"
    assert "Value: 95.5" in body["message"] and body["type"] == "failure"


async def test_a_failing_target_is_retryable(http: httpx.AsyncClient) -> None:
    server = Receiver(500)
    try:
        ch, cfg = channel(f"json://127.0.0.1:{server.server.server_address[1]}/notify")
        with pytest.raises(DeliveryError) as caught:
            await ch.send(render(payload(), cfg), http)
        assert caught.value.retryable
    finally:
        server.close()


def test_an_unknown_url_is_a_config_error_and_describe_hides_secrets() -> None:
    with pytest.raises(ConfigError) as caught:
        channel("nosuchscheme://x")
    assert "urls[0]" in str(caught.value)
    ch, _ = channel("json://user:topsecret@127.0.0.1:8080/x")
    assert "topsecret" not in str(ch.describe())


def test_apprise_is_loaded_only_by_a_hub_with_an_apprise_channel() -> None:
    import subprocess
    import sys

    code = """
import sys
from alerthub.config.models import Config
from alerthub.hub import build_hub
from alerthub.api.app import create_app
create_app(build_hub(Config.model_validate({CONFIG})))
print("apprise" in sys.modules)
"""
    with_apprise = '{"channels": [{"name": "a", "type": "apprise", "urls": ["json://127.0.0.1:9/x"]}]}'
    loaded = [
        subprocess.run(
            [sys.executable, "-c", code.replace("{CONFIG}", config)], capture_output=True, text=True, check=True
        ).stdout.strip()
        for config in ("{}", with_apprise)
    ]
    assert loaded == ["False", "True"]
