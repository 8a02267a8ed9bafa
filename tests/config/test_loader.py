from pathlib import Path

import pytest

from alerthub.channels.discord import DiscordChannelConfig
from alerthub.channels.email import EmailChannelConfig
from alerthub.errors import ConfigError
from alerthub.hub import load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "alerthub.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, env=env or {})
    return [str(p) for p in caught.value.problems]


def test_variables_expand_with_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
server: {port: "${PORT:-9000}"}
storage: {url: "${DB}"}
channels:
  - {name: ops, type: discord, url: "${HOOK}"}
""",
    )
    config = load_config(path, env={"DB": "sqlite:///x.db", "HOOK": "https://discord.test/api/webhooks/1/t"})
    assert config.server.port == 9000
    assert config.storage.url == "sqlite:///x.db"
    [channel] = config.channels
    assert isinstance(channel, DiscordChannelConfig)
    assert channel.url.get_secret_value() == "https://discord.test/api/webhooks/1/t"


def test_a_variable_cannot_change_the_yaml_structure(tmp_path: Path) -> None:
    path = write(tmp_path, 'server: {public_url: "${EVIL}"}\n')
    config = load_config(path, env={"EVIL": "x}\nstorage: {url: bad"})
    assert config.server.public_url == "x}\nstorage: {url: bad"
    assert config.storage.url.startswith("sqlite")


def test_every_error_is_reported_with_its_location(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
server: {port: 70000}
rules:
  - {name: ok_rule, thresholds: {high: 5}}
  - {name: r2, thresholds: {high: 5}}
  - {name: r3, thresholds: {high: lots}}
  - {name: r4, for: soon}
channels:
  - {name: mail, type: email, smtp_host: smtp.test}
  - {name: x, type: pager}
route: {receiver: nobody, colour: blue}
""",
    )
    found = problems(path)
    expected = [
        "server.port: ",
        "rules[2].thresholds.high: ",
        "rules[3].for: ",
        "channels[0].to: ",
        "channels[1]: ",
        "route.colour: unknown key",
    ]
    for prefix in expected:
        assert any(p.startswith(prefix) for p in found), (prefix, found)


def test_cross_references_are_checked(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
channels:
  - {name: ops, type: slack, url: "https://hooks.slack.test/x"}
  - {name: ops, type: slack, url: "https://hooks.slack.test/y"}
receivers:
  - {name: team, channels: [ops, missing]}
route:
  receiver: team
  routes:
    - {receiver: ghost, match_re: {service: "(unclosed"}}
""",
    )
    found = problems(path)
    assert "channels: the name 'ops' is used 2 times" in found
    assert "receivers[0].channels[1]: no channel named 'missing'" in found
    assert "route.routes[0].receiver: no receiver or channel named 'ghost'" in found
    assert any(p.startswith("route.routes[0].match_re.service: not a valid regular expression") for p in found)


def test_rule_template_syntax_is_checked(tmp_path: Path) -> None:
    path = write(tmp_path, 'rules:\n  - {name: q, summary: "{{ broken"}\n')
    [problem] = problems(path)
    assert problem.startswith("rules[0].summary: template error")


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "server:\n  port: [1, 2\n")
    [problem] = problems(path)
    assert problem.startswith(f"{path}:")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    [problem] = problems(tmp_path / "nope.yaml")
    assert "cannot read" in problem


def test_seed_environment_alone_configures_channels_and_integrations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {
        "SMTP_SERVER": "smtp.gmail.com",
        "SMTP_PORT": "587",
        "SMTP_USERNAME": "ops@example.com",
        "SMTP_PASSWORD": "app-password",
        "DISCORD_WEBHOOK_URL": "https://discord.com/api/webhooks/1/abc",
        "SENTRY_TOKEN": "sntrys_x",
        "SENTRY_ORG": "acme",
        "HETRIXTOOLS_API_KEY": "ht",
        "GA4_PROPERTY_ID": "123",
        "GOOGLE_APPLICATION_CREDENTIALS": "/etc/sa.json",
        "ALERTHUB_DATABASE_URL": "postgresql://u@db/alerthub",
    }
    config = load_config(None, env=env)
    email, discord = config.channels
    assert isinstance(email, EmailChannelConfig) and email.to == ["ops@example.com"] and email.tls == "starttls"
    assert isinstance(discord, DiscordChannelConfig)
    assert config.route.receiver == "default"
    assert config.integrations.sentry.org == "acme"
    assert config.integrations.hetrixtools.api_key is not None
    assert config.integrations.ga4.property_id == "123"
    assert config.storage.url == "postgresql://u@db/alerthub"


def test_alert_email_to_takes_a_comma_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"SMTP_SERVER": "smtp.test", "SMTP_PORT": "465", "ALERT_EMAIL_TO": "a@x.test, b@x.test"}
    [email] = load_config(None, env=env).channels
    assert isinstance(email, EmailChannelConfig)
    assert email.to == ["a@x.test", "b@x.test"] and email.tls == "ssl"


def test_no_file_and_no_environment_gives_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None, env={})
    assert (config.server.host, config.server.port) == ("127.0.0.1", 8000)
    assert config.storage.url == "sqlite:///./data/alerthub.db"
    assert config.channels == []


def test_alerthub_config_variable_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    other = tmp_path / "elsewhere.yaml"
    other.write_text("server: {port: 8123}\n", encoding="utf-8")
    assert load_config(None, env={"ALERTHUB_CONFIG": str(other)}).server.port == 8123


def test_an_unset_variable_without_a_default_names_the_variable_and_the_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'channels:\n  - {name: ops, type: discord, url: "${HOOK}"}\n'
        'server: {public_url: "https://${HOST}/x", host: "${BIND:-127.0.0.1}"}\n'
        'storage: {url: "${EMPTY:-}sqlite:///x.db"}\n',
    )
    found = problems(path, {})
    assert "channels[0].url: the environment variable HOOK is not set (write ${HOOK:-} for empty)" in found
    assert any(p.startswith("server.public_url: the environment variable HOST is not set") for p in found)
    assert len(found) == 2  # a default, or ${VAR:-}, is never a problem
    config = load_config(path, env={"HOOK": "https://discord.test/api/webhooks/1/t", "HOST": "hub.example"})
    assert config.server.public_url == "https://hub.example/x"
    assert config.storage.url == "sqlite:///x.db"


def test_an_unset_variable_does_not_hide_the_other_problems(tmp_path: Path) -> None:
    """One run of check-config names everything to fix: the missing secret, a typo elsewhere, and a route
    naming a receiver nobody defined, but not the empty value the unset variable left behind."""
    shape = write(
        tmp_path,
        'channels:\n  - {name: ops, type: discord, url: "${HOOK}"}\nserver: {prot: 9000}\n',
    )
    assert problems(shape) == [
        "channels[0].url: the environment variable HOOK is not set (write ${HOOK:-} for empty)",
        "server.prot: unknown key (check the spelling)",
    ]
    across = write(
        tmp_path,
        'channels:\n  - {name: ops, type: discord, url: "${HOOK}"}\n'
        "receivers:\n  - {name: team, channels: [ops]}\n"
        "route: {receiver: nobody}\n",
    )
    assert problems(across) == [
        "channels[0].url: the environment variable HOOK is not set (write ${HOOK:-} for empty)",
        "route.receiver: no receiver or channel named 'nobody'",
    ]


def test_a_shape_problem_does_not_hide_the_problems_across_keys(tmp_path: Path) -> None:
    """The README's example: a bad value and a route to a receiver nobody defined, reported in one pass."""
    path = write(
        tmp_path,
        "rules:\n  - {name: a, thresholds: {warning: 1, critical: lots}}\n"
        'channels:\n  - {name: ops, type: discord, url: "https://discord.test/api/webhooks/1/t"}\n'
        "receivers:\n  - {name: team, channels: [ops]}\n"
        "route: {receiver: team, routes: [{receiver: ghost}], group_wait: soon}\n",
    )
    assert problems(path) == [
        "rules[0].thresholds.critical: Input should be a valid number, unable to parse string as a number",
        "route.group_wait: Value error, must be a duration such as 30s, 5m or 1h, not 'soon'",
        "route.routes[0].receiver: no receiver or channel named 'ghost'",
    ]


def test_where_a_shape_problem_leaves_nothing_to_check_only_it_is_reported(tmp_path: Path) -> None:
    """A receiver with no name cannot be left out without every route to it looking wrong: no guesses."""
    path = write(
        tmp_path,
        'channels:\n  - {name: ops, type: discord, url: "https://discord.test/api/webhooks/1/t"}\n'
        "receivers:\n  - {channels: [ops]}\n"
        "route: {receiver: team}\n",
    )
    assert problems(path) == ["receivers[0].name: Field required"]


def test_flapping_is_on_by_default_off_with_false_and_its_keys_are_checked(tmp_path: Path) -> None:
    from alerthub.rules.build import build_ruleset

    path = tmp_path / "alerthub.yaml"
    path.write_text(
        "rules:\n"
        "  - {name: a, thresholds: {warning: 1}}\n"
        "  - {name: b, thresholds: {warning: 1}, flapping: false}\n"
        "  - {name: c, thresholds: {warning: 1}, flapping: {window: 30m, changes: 6, settle: 5m}}\n",
        encoding="utf-8",
    )
    rules = build_ruleset(list(load_config(path, env={}).rules))
    a, b, c = (rules.get(n) for n in "abc")
    assert a is not None and a.flapping is not None and a.flapping.changes == 4
    assert b is not None and b.flapping is None
    assert c is not None and c.flapping is not None and (c.flapping.changes, c.flapping.settle.seconds) == (6, 300)
    path.write_text("rules:\n  - {name: a, thresholds: {warning: 1}, flapping: {windw: 1h, changes: 1}}\n", "utf-8")
    found = problems(path)
    assert any(p.startswith("rules[0].flapping") and "windw" in p for p in found), found
    assert any(p.startswith("rules[0].flapping") and "changes" in p for p in found), found
