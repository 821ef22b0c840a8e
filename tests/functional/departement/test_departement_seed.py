"""The département seeder: its clones are schools the real portal serves as it serves
the school built by the real loaders (a station pulls its own school's feed and pushes a
meal that debits the right family; a parent and the intendance log in), its template is
built once and never reused half-built, and its copies are dropped."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

import bench.departement_seed as seed
from bench.departement_seed import Departement, Shape, departement, ensure_template, web_login
from cantine_harness.portal import meal
from tests.support.departement import SMALL, as_first_school, pull, station_of

pytestmark = pytest.mark.postgres


def database_exists(server_url: str, name: str) -> bool:
    with psycopg.connect(seed.admin_url(server_url), autocommit=True) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            is not None
        )


def test_the_manifest_names_every_school_station_login_and_card(
    small_departement: Departement,
) -> None:
    seeded = small_departement
    assert seeded.schools == ("1849", "1850", "1851")
    assert seeded.day.isoweekday() == 2 and seed.YEAR_START < seeded.day < seed.YEAR_END
    assert len(seeded.stations) == 9 and len({s.token for s in seeded.stations}) == 9
    assert [i.school for i in seeded.intendance] == list(seeded.schools)
    assert {p.school for p in seeded.parents} == set(seeded.schools)
    assert len({(p.school, p.family) for p in seeded.parents}) == len(seeded.parents)
    assert all(
        p.children and all(c.startswith(f"C{p.school}") for c in p.children) for p in seeded.parents
    )
    # 100 pupils a school, each with one card (a few reported lost at random).
    assert 290 <= len(seeded.cards) <= 300
    assert all(
        c.card.startswith(f"{c.school}-") and c.child.startswith(f"C{c.school}")
        for c in seeded.cards
    )
    reserved = sum(c.reserved for c in seeded.cards) / len(seeded.cards)
    assert 0.75 < reserved < 0.95  # build_school reserves ~85 % of pupils each day


def test_every_clone_holds_the_first_schools_history_and_balances_its_ledger(
    small_departement: Departement,
) -> None:
    query = (
        "SELECT s.code, "
        "(SELECT count(*) FROM meals x WHERE x.school_id = s.id), "
        "(SELECT count(*) FROM voids x WHERE x.school_id = s.id), "
        "(SELECT count(*) FROM payments x WHERE x.school_id = s.id), "
        "(SELECT count(*) FROM audit_log x WHERE x.school_id = s.id), "
        "(SELECT count(*) FROM ledger l JOIN families f ON f.id = l.family_id "
        " WHERE f.school_id = s.id), "
        "(SELECT count(*) FROM families f JOIN family_balances b ON b.family_id = f.id "
        " WHERE f.school_id = s.id AND b.balance_cents <> "
        " (SELECT sum(amount_cents) FROM ledger l WHERE l.family_id = f.id)) "
        "FROM schools s ORDER BY s.code"
    )
    with psycopg.connect(small_departement.url.replace("+psycopg", "")) as conn:
        rows = conn.execute(query).fetchall()
        days = conn.execute("SELECT min(business_date), max(business_date) FROM meals").fetchone()
    assert [r[0] for r in rows] == list(small_departement.schools)
    first = rows[0][1:]
    meals, voids, payments, audits, entries, unbalanced = first
    assert meals > 3000 and voids > 0 and payments > 0 and audits == payments
    assert entries > payments + voids  # also the meals charged and the first credits
    assert unbalanced == 0
    assert all(r[1:] == first for r in rows)
    assert days == (seed.YEAR_START, small_departement.day - timedelta(days=1))


def test_a_station_of_the_third_school_pulls_its_own_feed_the_same_as_the_first_schools(
    app: TestClient, small_departement: Departement
) -> None:
    first = pull(app, station_of(small_departement, "1849"))
    third = pull(app, station_of(small_departement, "1851"))
    assert (first.school, third.school) == ("1849", "1851")
    assert {c["kind"] for c in third.changes} >= {"child", "card", "reservation", "balance"}
    for change in third.changes:
        if change["kind"] in ("child", "reservation"):
            assert change["key"].startswith("C1851"), change
        elif change["kind"] == "card":
            assert change["key"].startswith("1851-"), change
        elif change["kind"] == "balance":
            assert change["key"].startswith("F1851"), change
    # The clone's feed is the first school's, ids remapped, seq for seq.
    assert [
        (c["seq"], c["kind"], as_first_school(c["key"], "1851", "1849")) for c in third.changes
    ] == [(c["seq"], c["kind"], c["key"]) for c in first.changes]
    cards = third.of_kind("card")
    assert {c.card for c in small_departement.cards if c.school == "1851"} <= cards.keys()
    children = third.of_kind("child")
    assert all(card["child_id"] in children for card in cards.values())


def test_a_meal_pushed_at_the_third_school_debits_its_family_and_no_other(
    app: TestClient, small_departement: Departement
) -> None:
    station = station_of(small_departement, "1851")
    before = pull(app, station)
    first_before = pull(app, station_of(small_departement, "1849"))
    card = next(c for c in small_departement.cards if c.school == "1851" and c.reserved)
    child = before.of_kind("child")[card.child]
    price = before.of_kind("tariff")[f"{child['tariff']}/dejeuner"]["price_cents"]
    family = child["family_id"]
    balance = before.of_kind("balance")[family]["balance_cents"]
    item = meal("departement-meal-1", card.child, day=small_departement.day, charged_cents=price)
    answer = app.post(
        "/v1/sync/meals",
        json={"meals": [{**item, "card": card.card}]},
        headers={"Authorization": f"Bearer {station.token}"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["status"] == "applied"
    after = pull(app, station, since=before.next)
    assert after.of_kind("balance") == {
        family: {"family_id": family, "balance_cents": balance - price}
    }
    assert after.of_kind("meal")["departement-meal-1"]["child_id"] == card.child
    assert pull(app, station_of(small_departement, "1849"), since=first_before.next).changes == []


def test_a_parent_of_the_third_school_logs_in_and_sees_their_children(
    app: TestClient, small_departement: Departement
) -> None:
    parent = next(
        p for p in small_departement.parents if p.school == "1851" and len(p.children) > 1
    )
    answer = web_login(app, parent.email, parent.password)
    assert answer.status_code == 303, answer.text[:300]
    home = app.get("/famille")
    assert home.status_code == 200
    for child in parent.children:
        assert f'href="/famille/enfants/{child}"' in home.text
    assert "C1849" not in home.text


def test_the_intendance_of_the_third_school_logs_in_to_its_school(
    app: TestClient, small_departement: Departement
) -> None:
    login = small_departement.intendance[2]
    answer = web_login(app, login.email, login.password)
    assert answer.status_code == 303, answer.text[:300]
    page = app.get("/intendance")
    assert page.status_code == 200
    assert "Collège 1851" in page.text and "Collège 1849" not in page.text


def test_the_template_is_reused_and_each_copy_dropped(
    server_url: str, small_departement: Departement
) -> None:
    server = server_url
    name, seconds = ensure_template(server, Shape(**SMALL))
    assert (name, seconds) == (small_departement.template, None)
    with departement(server, **SMALL) as other:
        copy = other.url.rpartition("/")[2]
        assert copy != small_departement.url.rpartition("/")[2]
        assert database_exists(server, copy)
    assert not database_exists(server, copy)


def test_a_build_that_fails_half_way_leaves_no_template(
    server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = server_url
    building: list[str] = []

    def broken(conn: psycopg.Connection, shape: Shape) -> None:
        building.append(conn.info.dbname)
        raise RuntimeError("interrupted")

    monkeypatch.setattr(seed, "add_logins", broken)
    shape = Shape(schools=2, pupils=20, seed=99)
    with pytest.raises(RuntimeError, match="interrupted"):
        ensure_template(server, shape)
    assert building and not database_exists(server, building[0])
    assert not database_exists(server, shape.template_name(seed.alembic_head()))


def test_the_next_builder_drops_what_a_killed_build_left(server_url: str) -> None:
    shape = Shape(schools=2, pupils=20, seed=98)
    name = shape.template_name(seed.alembic_head())
    dead = f"{seed._build_prefix(name)}_killed00"
    with psycopg.connect(seed.admin_url(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{dead}"')
    try:
        assert ensure_template(server_url, shape)[0] == name
        assert not database_exists(server_url, dead)
        assert database_exists(server_url, name)
    finally:
        with psycopg.connect(seed.admin_url(server_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dead}"')
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
