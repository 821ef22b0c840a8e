"""``station demo``'s parents' space: the printed logins work on the demo portal, the
parent sees the child of card 1849-00001, and the demo's e-mails land in its folder."""

from __future__ import annotations

import re
import time
from email import message_from_bytes, policy
from pathlib import Path

import httpx

from cantine_harness.demo import DEMO_INTENDANCE, DEMO_PARENT, demo_station
from station.cli.demo import describe

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _post_form(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    found = _CSRF.search(client.get(path).text)
    assert found, path
    return client.post(path, data={"csrf_token": found.group(1), **data})


def test_demo_prints_the_family_space_and_its_logins_which_work_on_the_demo_portal(
    tmp_path: Path,
) -> None:
    with demo_station(tmp_path, pupils=30, seed=7) as demo:
        text = describe(demo)
        assert f"Espace des familles : {demo.portal_url}/connexion" in text
        assert f"{DEMO_PARENT[0]} / mot de passe {DEMO_PARENT[1]}" in text
        assert f"{DEMO_INTENDANCE[0]} / mot de passe {DEMO_INTENDANCE[1]}" in text
        assert f"E-mails de la démo (non envoyés, un fichier .eml chacun) : {demo.mail_dir}" in text
        with httpx.Client(base_url=demo.portal_url, timeout=30) as parent:
            email, password = DEMO_PARENT
            login = _post_form(parent, "/connexion", {"email": email, "password": password})
            assert login.status_code == 303, login.text
            home = parent.get("/famille")
            assert home.status_code == 200
            assert "Mon espace famille" in home.text and "Mes enfants" in home.text
            child = re.search(r'href="/famille/enfants/([^"]+)"', home.text)
            assert child is not None
            assert "1849-00001" in parent.get(f"/famille/enfants/{child.group(1)}").text
        with httpx.Client(base_url=demo.portal_url, timeout=30) as staff:
            email, password = DEMO_INTENDANCE
            login = _post_form(staff, "/connexion", {"email": email, "password": password})
            assert login.status_code == 303, login.text
            assert staff.get("/intendance/comptes-en-attente").status_code == 200
        with httpx.Client(base_url=demo.portal_url, timeout=30) as visitor:
            asked = _post_form(visitor, "/mot-de-passe-oublie", {"email": DEMO_PARENT[0]})
            assert asked.status_code == 200
        assert demo.mail_dir is not None
        deadline = time.monotonic() + 20
        while not list(demo.mail_dir.glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.1)  # the portal's sender thread writes the file after the commit
        [written] = list(demo.mail_dir.glob("*.eml"))
        mail = message_from_bytes(written.read_bytes(), policy=policy.default)
        assert mail["To"] == DEMO_PARENT[0]
        body = mail.get_body(preferencelist=("plain",))
        assert body is not None
        assert f"{demo.portal_url}/mot-de-passe/choisir?jeton=" in body.get_content()
