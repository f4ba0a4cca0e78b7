"""The stack tool's config rendering keeps Connect's own placeholders intact."""

from __future__ import annotations

import pytest

from stack.config import CONF_TEMPLATES, StackConfig, render


def test_render_fills_stack_values_and_leaves_config_provider_references() -> None:
    text = "port=${connect_port}\npassword=${env:SIEBEL_DB_PASSWORD}\n"
    assert render(text, {"connect_port": "18083"}) == (
        "port=18083\npassword=${env:SIEBEL_DB_PASSWORD}\n"
    )


def test_render_refuses_an_unknown_placeholder() -> None:
    with pytest.raises(KeyError, match="kafka_prot"):
        render("x=${kafka_prot}", {"kafka_port": "1"})


@pytest.mark.parametrize("template", sorted(p.name for p in CONF_TEMPLATES.glob("*.properties")))
def test_every_template_renders_with_the_stack_values(template: str) -> None:
    cfg = StackConfig.from_env()
    rendered = render((CONF_TEMPLATES / template).read_text(), cfg.template_values())
    assert "${" not in rendered.replace("${env:", "").replace("${file:", "").replace("${...}", "")


def test_ports_are_overridable_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STACK_KAFKA_PORT", "29092")
    cfg = StackConfig.from_env()
    assert cfg.bootstrap_servers == "127.0.0.1:29092"
    assert cfg.exports()["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:29092"
