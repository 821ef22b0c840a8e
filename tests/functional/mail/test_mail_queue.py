"""``queue_mail``: what a row holds, and what is refused without touching the outbox."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from portal_sync_api.core.db import session_scope
from portal_sync_api.errors import DataError
from portal_sync_api.mail import queue_mail
from portal_sync_api.mail.models import PENDING
from tests.support.mail_queue import SUBJECT, outbox


def test_queued_row_holds_both_bodies_with_links_to_the_public_url(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_PUBLIC_URL", "https://cantine.example.fr/")
    monkeypatch.setenv("PORTAL_MAIL_FROM", "Cantine <cantine@college.fr>")
    with session_scope(engine) as session:
        mail_id = queue_mail(
            session,
            to=" Parent@Example.fr",
            subject=SUBJECT,
            template="test_message",
            context={"name": "Zoé"},
        )

    (row,) = outbox(engine)
    assert row.id == mail_id
    assert (row.to_address, row.template, row.status, row.attempts) == (
        "Parent@example.fr",
        "test_message",
        PENDING,
        0,
    )
    assert "https://cantine.example.fr/famille" in row.body_text
    assert 'href="https://cantine.example.fr/famille"' in row.body_html
    assert row.message_id.startswith("<") and row.message_id.endswith("@college.fr>")
    assert row.next_attempt_at == row.created_at  # due at once


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("email", {"to": "pas-une-adresse"}),
        ("subject", {"subject": "Objet\nBcc: x@example.fr"}),
        ("subject", {"subject": "  "}),
        ("template", {"template": "../_base"}),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_queues_nothing(
    engine: Engine, field: str, values: dict[str, str]
) -> None:
    arguments = {"to": "parent@example.fr", "subject": SUBJECT, "template": "test_message"}
    arguments.update(values)
    with session_scope(engine) as session:  # the caller goes on and commits
        with pytest.raises(DataError) as refused:
            queue_mail(session, context={"name": "Zoé"}, **arguments)
        assert refused.value.field == field

    assert outbox(engine) == []
