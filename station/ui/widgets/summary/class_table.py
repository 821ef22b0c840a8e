"""Per class and service: reserved, served, missing."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from textual.widgets import Static

from station.core.models import ServiceSummary
from station.core.texts import service_label


class ClassTable(Static):
    """A compact table, classes down, services across (réservés / servis / manquants)."""

    DEFAULT_CSS = """
    ClassTable { height: auto; }
    """

    def show(self, services: Sequence[ServiceSummary]) -> None:
        used = [s for s in services if s.by_class]
        table = Table(expand=True, show_edge=False, header_style="bold")
        table.add_column("Classe", no_wrap=True)
        for s in used:
            table.add_column(f"{service_label(s.service.code)} : résa / servis / manquants")
        classes = sorted({k for s in used for k in s.by_class}, key=_class_order)
        for klass in classes:
            cells = []
            for s in used:
                t = s.by_class.get(klass)
                cells.append(f"{t.reserved} / {t.served} / {t.missing}" if t else "—")
            table.add_row(klass, *cells)
        self.update(table)


def _class_order(name: str) -> tuple[int, str]:
    """6e before 5e before 4e before 3e, as a collège reads its classes."""
    return (-int(name[0]), name) if name[:1].isdigit() else (0, name)
