"""``station demo``: a local portal, a demo collège, a synced station and the serving app."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from station import logs
from station.cli.run import station_app
from station.core.config import StationConfig

if TYPE_CHECKING:
    from cantine_harness.demo import DemoStation

NAME = "demo"
HELP = "démonstration sans matériel : portail local, collège fictif, poste synchronisé"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pupils", type=int, default=600, help="nombre d'élèves (600)")
    parser.add_argument("--seed", type=int, default=1849, help="graine des données (1849)")
    parser.add_argument(
        "--setup-only",
        action="store_true",
        help="tout préparer et synchroniser, afficher les cartes, sans ouvrir l'écran",
    )


def describe(demo: DemoStation) -> str:
    lines = [
        f"Portail de démonstration : {demo.portal_url} ({demo.pupils} élèves, collège 1849)",
        f"Configuration du poste : {demo.config_path}",
        "Service du déjeuner ouvert toute la journée pour la démo.",
        "",
        f"Espace des familles : {demo.family_url}",
        f"  parent (carte {demo.cards[0].code}) : {demo.parent_login[0]}"
        f" / mot de passe {demo.parent_login[1]}",
        f"  intendance : {demo.intendance_login[0]} / mot de passe {demo.intendance_login[1]}",
        f"E-mails de la démo (non envoyés, un fichier .eml chacun) : {demo.mail_dir}",
        f"Banque de démonstration (paiements en ligne, aucun paiement réel) : {demo.bank_url}",
        "",
        "Cartes à essayer (tapez le code puis Entrée) :",
    ]
    lines += [f"  {c.code}  {c.name:<30} → {c.expect}" for c in demo.cards]
    lines += [
        "",
        "Touches : F2 élève sans carte · F3 annuler · F4 servir quand même · F5 bilan"
        " · F9 synchroniser · F10 quitter",
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace, config: StationConfig | None) -> int:
    # The harness brings the portal (SQLAlchemy, Alembic): loaded for the demo only, so
    # every other station command starts without them.
    from cantine_harness.demo import SERVICE_NOTE, demo_station

    print("Préparation de la démo (portail local, collège fictif, synchronisation)…", flush=True)
    with tempfile.TemporaryDirectory(prefix="cantine-demo-") as tmp:
        with demo_station(Path(tmp), pupils=args.pupils, seed=args.seed) as demo:
            print(describe(demo), flush=True)
            if args.setup_only:
                return 0
            if not sys.stdin.isatty():
                print("station demo : un terminal interactif est nécessaire pour l'écran.")
                return 2
            input("\nEntrée pour ouvrir le poste de service… ")
            # The day's CSV exports stay in the demo's folder, erased with it.
            exports = Path(tmp) / "exports"
            app = station_app(demo.config, export_dir=exports, service_note=SERVICE_NOTE)
            try:
                with logs.off_the_screen(Path(tmp) / "station.log"):
                    app.run()
            finally:
                app.line.store.close()
        print("Démo terminée : portail arrêté, données temporaires effacées.")
    return 0
