"""The intendance's day page (``/intendance``) against a real portal process: meals a
station pushes through the sync API show in the figures and the passes chart, any day is
reached by its date, the CSV is the API's, and the page reloads itself only while a
service of today is open."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cantine_harness.portal import meal, seed_school, void
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.schools import set_school
from tests.functional.web_intendance_day.page_tables import table_starting
from tests.support.day_portal import (
    PASSWORD,
    DayPortal,
    intendance_login,
    log_in,
)

PARIS = ZoneInfo("Europe/Paris")
HERVE, LEA, TOM, ZOE, NOAH = (f"C1849-{n}" for n in (42, 43, 44, 45, 46))
FIGURE_KEYS = (
    "reserved",
    "served_reserved",
    "served_unreserved",
    "served_forfait",
    "no_shows",
    "voids",
    "duplicate_passes",
)


def _meal(meal_id: str, child: str, served_at: str, cents: int, reason: str) -> dict[str, Any]:
    item = meal(meal_id, child, charged_cents=cents, served_at=served_at)
    item["reason"] = reason
    return item


def _lunch(day: DayPortal) -> None:
    """The seeded Monday's lunch: Hervé served twice (at two lines), Tom (prepaid), Léa on
    a forfait day (her station wrote UTC), Noah served then voided (a no-show)."""
    first = [
        _meal("m-herve", HERVE, "2025-11-24T12:04:00+01:00", 415, "reserved"),
        _meal("m-tom", TOM, "2025-11-24T12:07:30+01:00", 0, "prepaid"),
        _meal("m-lea", LEA, "2025-11-24T11:15:00+00:00", 0, "forfait"),
        _meal("m-noah", NOAH, "2025-11-24T12:21:00+01:00", 415, "reserved"),
        {**void("v-noah", "m-noah"), "voided_at": "2025-11-24T12:23:00+01:00"},
    ]
    assert day.push(first) == ["applied"] * 5
    second = [_meal("m-herve-2", HERVE, "2025-11-24T12:05:10+01:00", 415, "reserved")]
    assert day.push(second, second_station=True) == ["applied"]


def _figures(row: list[str]) -> list[str]:
    return row[-len(FIGURE_KEYS) - 1 :]


def test_meals_pushed_by_stations_show_per_service_and_class_as_the_api_counts_them(
    day: DayPortal,
) -> None:
    _lunch(day)
    page = day.page("jour=2025-11-24")
    assert page.status_code == 200
    services = table_starting(page.text, "Chiffres du lundi 24/11/2025 par service")
    assert services[1][0] == "Déjeuner"
    assert _figures(services[1]) == ["3", "2", "0", "1", "1", "1", "1", "8,30 €"]
    report = day.api("/v1/schools/1849/consumption", day="2025-11-24").json()
    api = report["services"]["dejeuner"]
    assert [str(api[k]) for k in FIGURE_KEYS] == _figures(services[1])[:-1]
    assert api["charged_cents"] == 830
    classes = table_starting(page.text, "Chiffres du lundi 24/11/2025 par classe")
    by_class = {row[0]: _figures(row) for row in classes[1:]}
    assert by_class == {
        "3F": ["1", "0", "0", "0", "1", "1", "0", "0,00 €"],
        "5A": ["0", "0", "0", "1", "0", "0", "0", "0,00 €"],
        "6B": ["2", "2", "0", "0", "0", "0", "1", "8,30 €"],
    }
    for name, figures in by_class.items():
        assert [str(report["classes"][name]["dejeuner"][k]) for k in FIGURE_KEYS] == figures[:-1]


def test_the_chart_counts_passes_per_ten_minutes_on_the_schools_clock(day: DayPortal) -> None:
    _lunch(day)
    page = day.page("jour=2025-11-24").text
    slices = table_starting(page, "Déjeuner : passages par tranche de 10 minutes")
    counts = {row[0]: int(row[1]) for row in slices[1:]}
    # The window 11:15–13:45 in 10-minute slices; Léa's 11:15 UTC is 12:15 in Paris; the
    # voided meal is no pass.
    assert min(counts) == "11:10 – 11:20" and max(counts) == "13:40 – 13:50"
    assert len(counts) == 16
    assert counts["12:00 – 12:10"] == 3
    assert counts["12:10 – 12:20"] == 1
    assert sum(counts.values()) == 4
    assert '<svg class="journee-svg" role="img"' in page
    assert '<title id="graphe-dejeuner-titre">Déjeuner : passages par tranche' in page
    assert "4 passages de 11:10 à 13:50" in page
    assert "le plus fort : 3 entre 12:00 et 12:10" in page


def test_a_past_day_is_shown_by_its_date_with_the_days_around_it(day: DayPortal) -> None:
    _lunch(day)
    page = day.page("jour=2025-11-25")
    assert page.status_code == 200
    assert "La journée du mardi 25/11/2025" in page.text
    assert 'href="/intendance?jour=2025-11-24"' in page.text  # « Jour précédent »
    assert 'href="/intendance?jour=2025-11-26"' in page.text  # « Jour suivant »
    assert 'value="2025-11-25"' in page.text
    services = table_starting(page.text, "Chiffres du mardi 25/11/2025 par service")
    assert _figures(services[1]) == ["0", "0", "0", "0", "0", "0", "0", "0,00 €"]
    assert 'http-equiv="refresh"' not in page.text  # a past day never changes
    assert "Mise à jour automatique" not in page.text


def test_without_a_date_the_page_shows_today_on_the_schools_clock(day: DayPortal) -> None:
    page = day.page()
    today = datetime.now(PARIS).date()
    assert page.status_code == 200
    assert f"{today:%d/%m/%Y} (aujourd'hui)" in page.text
    assert f'value="{today.isoformat()}"' in page.text


def test_a_wrong_date_is_refused_on_the_page_naming_the_field(day: DayPortal) -> None:
    for wrong in ("2025-13-45", "24/11/2025", "demain", "1899-01-01", "2025-11-24" * 50):
        page = day.page(f"jour={wrong}")
        assert page.status_code == 400
        assert "Date invalide" in page.text
        assert 'aria-describedby="jour-erreur"' in page.text
        assert "La journée du" in page.text  # the page itself, on today
    csv = day.page("jour=2025-02-30&format=csv")
    assert csv.status_code == 400 and csv.headers["content-type"].startswith("text/html")


def test_the_csv_export_is_byte_for_byte_the_api_report(day: DayPortal) -> None:
    _lunch(day)
    page = day.page("jour=2025-11-24")
    assert 'href="/intendance?jour=2025-11-24&amp;format=csv"' in page.text
    assert "Exporter (CSV)" in page.text
    exported = day.page("jour=2025-11-24&format=csv")
    api = day.api("/v1/schools/1849/consumption", day="2025-11-24", format="csv")
    assert exported.status_code == api.status_code == 200
    assert exported.content == api.content
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert exported.headers["content-disposition"] == (
        'attachment; filename="consommation-1849-2025-11-24.csv"'
    )
    text = exported.content.decode("utf-8")
    assert text.startswith("\ufeffservice;classe;réservés;")
    assert "dejeuner;Total;3;2;0;1;1;1;8,30;1\r\n" in text


def test_another_schools_intendance_sees_none_of_these_meals(day: DayPortal) -> None:
    _lunch(day)
    seed_school(day.portal.database_url, code="1850", tokens=False)
    other = log_in(day.portal, intendance_login(day.portal.database_url, code="1850"), PASSWORD)
    try:
        page = other.get("/intendance?jour=2025-11-24").text
    finally:
        other.close()
    services = table_starting(page, "Chiffres du lundi 24/11/2025 par service")
    # 1850's own three bookings, none served: 1849's meals are not counted.
    assert _figures(services[1]) == ["3", "0", "0", "0", "3", "0", "0", "0,00 €"]
    assert "Aucun passage." in page and "journee-svg" not in page


def _set_lunch(day: DayPortal, window: tuple[str, str]) -> None:
    engine = make_engine(day.portal.database_url)
    try:
        with session_scope(engine) as session:
            set_school(session, code="1849", services={"dejeuner": window})
    finally:
        engine.dispose()


def test_today_reloads_itself_when_asked_and_only_while_a_service_is_open(
    day: DayPortal,
) -> None:
    now = datetime.now(PARIS)
    _set_lunch(day, ("00:00", "23:59"))  # open whenever the test runs (bar the last minute)
    page = day.page().text
    assert "Service en cours : Déjeuner (00:00–23:59)" in page
    assert 'href="/intendance?direct=1">Suivre le service en direct</a>' in page
    assert 'http-equiv="refresh"' not in page  # never imposed on whoever opens the page

    page = day.page("direct=1").text
    assert re.search(r'<meta http-equiv="refresh" content="15">', page)
    line = re.search(
        r"Mise à jour automatique toutes les 15 s — dernière mise à jour (\d\d:\d\d:\d\d)",
        page,
    )
    assert line, page
    assert '<a href="/intendance">Arrêter la mise à jour automatique</a>' in page
    shown = datetime.strptime(line.group(1), "%H:%M:%S").time()
    assert abs(
        datetime.combine(now.date(), shown) - datetime.combine(now.date(), now.time())
    ) < timedelta(minutes=5)  # the school's clock, not UTC's

    yesterday = (now.date() - timedelta(days=1)).isoformat()
    past = day.page(f"jour={yesterday}&direct=1").text
    assert 'http-equiv="refresh"' not in past and "Suivre le service" not in past

    closed = ("20:00", "21:00") if now.hour < 12 else ("02:00", "03:00")
    _set_lunch(day, closed)
    page = day.page("direct=1").text  # the service is over: the reloading stops
    assert 'http-equiv="refresh"' not in page and "Mise à jour automatique toutes" not in page
    assert "Aucun service en cours : la mise à jour automatique est arrêtée." in page


def test_a_meal_pushed_today_appears_on_todays_page(day: DayPortal) -> None:
    _set_lunch(day, ("00:00", "23:59"))
    served = datetime.now(PARIS).replace(microsecond=0)
    item = meal("m-now", HERVE, day=served.date(), served_at=served.isoformat())
    assert day.push([item]) == ["applied"]
    page = day.page().text
    services = table_starting(page, f"Chiffres du {_long(served.date())} par service")
    assert _figures(services[1])[2] == "1"  # served without reservation (none today)
    slices = table_starting(page, "Déjeuner : passages par tranche de 10 minutes")
    label = f"{served:%H}:{served.minute - served.minute % 10:02d}"
    assert [int(row[1]) for row in slices[1:] if row[0].startswith(label)] == [1]


def _long(day: date) -> str:
    names = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
    return f"{names[day.weekday()]} {day:%d/%m/%Y}"
