"""Finding a child by name the way staff type it: case, accents and word order ignored.

« guerin », « guér », « GUÉR », « Léa GUÉRIN » and « lea guerin » all find GUÉRIN Léa;
results sort as a French reader expects (accents do not move a name down the list).
Pure functions; works without a UI or a database.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """``text`` lower-cased without accents (``Élodie`` → ``elodie``, ``Œ`` → ``oe``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("œ", "oe").replace("æ", "ae")


def _words(text: str) -> list[str]:
    return [w for w in fold(text).replace("-", " ").replace("'", " ").split() if w]


def name_matches(query: str, last_name: str, first_name: str) -> bool:
    """Every word typed starts a different word of the child's names, in any order."""
    wanted = _words(query)
    if not wanted:
        return False
    names = _words(last_name) + _words(first_name)
    used: set[int] = set()
    for word in sorted(wanted, key=len, reverse=True):
        match = next(
            (i for i, name in enumerate(names) if i not in used and name.startswith(word)), None
        )
        if match is None:
            return False
        used.add(match)
    return True


def sort_key(last_name: str, first_name: str) -> tuple[str, str, str, str]:
    """French order: by last then first name ignoring accents and case, accents last."""
    return (fold(last_name), fold(first_name), last_name, first_name)
