"""Pure rules of the mail module: addresses, rendering, retry delays, settings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from portal_sync_api.core.config import Settings
from portal_sync_api.errors import DataError
from portal_sync_api.mail.outbox import TEMPLATES, normalize_email, render
from portal_sync_api.mail.sender import retry_delay
from portal_sync_api.mail.transports import FileTransport, SmtpTransport, transport_from_settings


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("parent@example.fr", "parent@example.fr"),
        ("  Zoe.Petit+cantine@Example.FR ", "Zoe.Petit+cantine@example.fr"),
        ("a@b-c.d.fr", "a@b-c.d.fr"),
    ],
)
def test_normalize_email_keeps_the_local_part_and_lowers_the_domain(typed: str, kept: str) -> None:
    assert normalize_email(typed) == kept


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "parent",
        "parent@",
        "@example.fr",
        "a b@example.fr",
        "parent@example.fr\r\nBcc: x@y.fr",
        "Zoé <parent@example.fr>",
        "parent@-example.fr",
        "a@b@example.fr",
        "x" * 250 + "@example.fr",
    ],
)
def test_normalize_email_refuses_garbage_naming_the_field(garbage: str) -> None:
    with pytest.raises(DataError) as refused:
        normalize_email(garbage)
    assert refused.value.field == "email"


def test_render_escapes_html_only_and_gives_every_template_portal_url() -> None:
    text, html = render(
        "test_message",
        {"name": "<script>Zoé</script>"},
        portal_url="https://cantine.example.fr",
        subject="Essai",
    )

    assert "Bonjour <script>Zoé</script>," in text
    assert "&lt;script&gt;Zoé&lt;/script&gt;" in html and "<script>" not in html
    assert "https://cantine.example.fr/famille" in text
    assert 'href="https://cantine.example.fr/famille"' in html
    assert "Le service de restauration scolaire" in text and "automatiquement" in text
    assert "<title>Essai</title>" in html


def test_render_refuses_a_template_name_that_is_a_path() -> None:
    with pytest.raises(DataError) as refused:
        render("../../etc/passwd", {}, portal_url="http://x", subject="s")
    assert refused.value.field == "template"


def test_render_fails_on_a_missing_value_instead_of_leaving_a_blank() -> None:
    with pytest.raises(UndefinedError, match="name"):
        render("test_message", {}, portal_url="http://x", subject="s")


def test_retry_delay_doubles_from_one_minute_up_to_one_hour() -> None:
    no_jitter = [retry_delay(n, jitter=lambda: 0.0) for n in range(1, 10)]
    assert no_jitter == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60, 60)]
    assert retry_delay(100, jitter=lambda: 0.0) == timedelta(hours=1)


def test_retry_delay_jitter_shortens_by_at_most_a_fifth() -> None:
    assert retry_delay(1, jitter=lambda: 1.0) == timedelta(seconds=48)
    assert retry_delay(3, jitter=lambda: 0.5) == timedelta(minutes=4) * 0.9


def test_settings_read_the_mail_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_PUBLIC_URL", "https://cantine.example.fr/")
    monkeypatch.setenv("PORTAL_SMTP_HOST", "smtp.example.fr")
    monkeypatch.setenv("PORTAL_SMTP_PORT", "465")
    monkeypatch.setenv("PORTAL_SMTP_SECURITY", "TLS")
    monkeypatch.setenv("PORTAL_SMTP_USER", "cantine")
    monkeypatch.setenv("PORTAL_SMTP_PASSWORD", "s3cret")
    monkeypatch.setenv("PORTAL_MAIL_FROM", "Cantine <cantine@example.fr>")

    settings = Settings.from_env("sqlite:///x.db")

    assert settings.public_url == "https://cantine.example.fr"
    assert transport_from_settings(settings) == SmtpTransport(
        host="smtp.example.fr", port=465, security="tls", user="cantine", password="s3cret"
    )
    assert "s3cret" not in repr(settings) and "s3cret" not in repr(
        transport_from_settings(settings)
    )


def test_settings_choose_files_without_smtp_and_nothing_without_either(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("PORTAL_SMTP_HOST", "PORTAL_MAIL_DIR"):
        monkeypatch.delenv(name, raising=False)
    assert transport_from_settings(Settings.from_env()) is None
    monkeypatch.setenv("PORTAL_MAIL_DIR", "/tmp/courriels")
    assert transport_from_settings(Settings.from_env()) == FileTransport(Path("/tmp/courriels"))


@pytest.mark.parametrize(
    ("name", "value"),
    [("PORTAL_SMTP_PORT", "abc"), ("PORTAL_SMTP_PORT", "70000"), ("PORTAL_SMTP_SECURITY", "ssl")],
)
def test_settings_refuse_a_bad_smtp_value_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(DataError) as refused:
        Settings.from_env()
    assert refused.value.field == name


def test_every_mail_template_has_a_text_and_an_html_body_on_the_base_layouts() -> None:
    names = {p.stem for p in TEMPLATES.iterdir() if p.suffix in (".txt", ".html")}
    for name in sorted(n for n in names if not n.startswith("_")):
        text = (TEMPLATES / f"{name}.txt").read_text(encoding="utf-8")
        html = (TEMPLATES / f"{name}.html").read_text(encoding="utf-8")
        assert text.startswith('{% extends "_base.txt" %}'), name
        assert html.startswith('{% extends "_base.html" %}'), name
