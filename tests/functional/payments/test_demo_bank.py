"""``station demo`` starts the sandbox bank beside its portal, prints its address, pays the
parent's top-up through it, and stops it with the rest."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from cantine_harness.demo import DEMO_PARENT, demo_station
from station.cli.demo import describe

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _post_form(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    found = _CSRF.search(client.get(path).text)
    assert found, path
    return client.post(path, data={"csrf_token": found.group(1), **data})


def test_the_demo_pays_a_top_up_through_its_sandbox_bank_and_stops_it(tmp_path: Path) -> None:
    with demo_station(tmp_path, pupils=30, seed=7) as demo:
        assert demo.bank_url is not None
        text = describe(demo)
        assert (
            f"Banque de démonstration (paiements en ligne, aucun paiement réel) : {demo.bank_url}"
            in text
        )
        with httpx.Client(base_url=demo.portal_url, timeout=30) as parent:
            email, password = DEMO_PARENT
            assert (
                _post_form(parent, "/connexion", {"email": email, "password": password}).status_code
                == 303
            )
            accounts = parent.get("/famille/comptes").text
            assert "Paiement de démonstration" in accounts
            started = _post_form(parent, "/famille/comptes/paiement", {"amount": "20,00"})
            assert started.status_code == 303
            to_bank = parent.get(started.headers["location"]).text
            bank_page = re.search(r'href="(http://127\.0\.0\.1:\d+/payer/[^"]+)"', to_bank)
            assert bank_page is not None and bank_page.group(1).startswith(demo.bank_url)
            back = httpx.post(bank_page.group(1), data={"action": "payer"})
            assert back.status_code == 303
            done = parent.get(back.headers["location"])
            assert "Paiement accepté — 20,00\u00a0€ crédités" in done.text
    with pytest.raises(httpx.ConnectError):
        httpx.get(demo.bank_url + "/healthz", timeout=5)
