"""French wording of the screens and the block letters, without running the app."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from station.core.models import Child, Reason, Source, Status, Verdict, Warning
from station.ui.format import allergy_badges, diet_badges, money_line, verdict_headline
from station.ui.widgets.serving.verdict_banner import big_text, big_width

PARIS = ZoneInfo("Europe/Paris")
CHILD = Child("C1", "DUPONT", "Hervé", "6B", allergies=("arachide",), diet=("sans_porc",))


def verdict(**fields: object) -> Verdict:
    base: dict[str, object] = {
        "status": Status.SERVED,
        "reason": Reason.RESERVED,
        "business_date": date(2026, 11, 24),
        "source": Source.WEDGE,
    }
    return Verdict(**(base | fields))  # type: ignore[arg-type]


def test_a_served_headline_names_the_reason_and_the_warnings_staff_must_act_on() -> None:
    v = verdict(warnings=(Warning.LOW_BALANCE, Warning.ALLERGY, Warning.DIET))
    assert verdict_headline(v, PARIS) == "Réservé — Solde bas — ALLERGIE / PAI"


def test_an_already_served_headline_gives_the_local_time_of_the_first_pass() -> None:
    first = datetime(2026, 11, 24, 11, 4, tzinfo=ZoneInfo("UTC"))
    v = verdict(status=Status.REFUSED, reason=Reason.ALREADY_SERVED, first_served_at=first)
    assert verdict_headline(v, PARIS) == "Déjà passé à 12:04"


def test_money_line_shows_charge_and_balance_after_with_french_formatting() -> None:
    assert money_line(verdict(charged_cents=415, balance_cents=-320)) == (
        "Débité 4,15 € · solde −3,20 €"
    )
    assert money_line(verdict(status=Status.REFUSED, balance_cents=100)) == (
        "Rien débité · solde 1,00 €"
    )


def test_badges_spell_allergies_and_diets_in_french() -> None:
    assert allergy_badges(CHILD) == ["ALLERGIE / PAI : arachide"]
    assert diet_badges(CHILD) == ["RÉGIME : sans porc"]


def test_block_letters_are_three_rows_at_scale_one_and_six_at_scale_two() -> None:
    assert len(big_text("SERVI")) == 3
    assert len(big_text("REFUSÉ", 2)) == 6
    assert all(len(row) == big_width("REFUSÉ", 2) for row in big_text("REFUSÉ", 2))


def test_the_verdict_word_grows_with_the_terminal() -> None:
    from station.ui.widgets.serving.verdict_banner import big_text, fit_scale

    small, medium, large = fit_scale(50, 24), fit_scale(84, 40), fit_scale(130, 50)
    assert (small, medium, large) == (1, 2, 3)
    assert len(big_text("REFUSÉ", large)) == 9  # rows on screen
    assert fit_scale(10, 24) == 0  # too narrow: one bold line instead


def test_money_line_adds_prepaid_meals_left_and_forfait_days() -> None:
    prepaid = verdict(reason=Reason.PREPAID, balance_cents=500, extra={"prepaid_remaining": 12})
    assert money_line(prepaid) == "Débité 0,00 € · solde 5,00 € · 12 repas prépayés restants"
    one = verdict(reason=Reason.PREPAID, balance_cents=500, extra={"prepaid_remaining": 1})
    assert money_line(one).endswith("1 repas prépayé restant")
    child = Child("C1", "DUPONT", "Léa", "6B", forfait_days=frozenset({1, 2, 4, 5}))
    forfait = verdict(reason=Reason.FORFAIT, child=child, balance_cents=500)
    assert money_line(forfait) == "Débité 0,00 € · solde 5,00 € · forfait lun, mar, jeu, ven"
