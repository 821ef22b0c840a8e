"""Staff find a child by name however they type it."""

from __future__ import annotations

import pytest

from station.core.names import fold, name_matches, sort_key


@pytest.mark.parametrize(
    "query",
    ["guerin", "guér", "GUÉR", "Léa GUÉRIN", "lea guerin", "GUERIN lea", "  guérin   léa "],
)
def test_case_accents_and_word_order_do_not_matter(query: str) -> None:
    assert name_matches(query, "GUÉRIN", "Léa")


@pytest.mark.parametrize("query", ["ines", "INES", "inès", "Inès"])
def test_a_first_name_is_found_without_its_accent(query: str) -> None:
    assert name_matches(query, "MARTIN", "Inès")


@pytest.mark.parametrize("query", ["", "   ", "lucas", "guerin lucas", "lea lea"])
def test_words_that_are_not_in_the_name_do_not_match(query: str) -> None:
    assert not name_matches(query, "GUÉRIN", "Léa")


def test_compound_names_match_each_part() -> None:
    assert name_matches("pierre", "DUPONT-MOREL", "Jean-Pierre")
    assert name_matches("morel jean", "DUPONT-MOREL", "Jean-Pierre")


def test_fold_removes_accents_ligatures_and_case() -> None:
    assert fold("ÉLOÏSE Cœur") == "eloise coeur"


def test_french_order_ignores_accents() -> None:
    names = [("GUÉRIN", "Lucas"), ("GUERIN", "Zoé"), ("GUÉRIN", "Léa"), ("ÉMERY", "Paul")]
    ordered = sorted(names, key=lambda n: sort_key(*n))
    assert ordered == [("ÉMERY", "Paul"), ("GUÉRIN", "Léa"), ("GUÉRIN", "Lucas"), ("GUERIN", "Zoé")]
