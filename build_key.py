#!/usr/bin/env python3
"""Staff tool for the passport's keys: ``python build_key.py --aide`` lists the commands.

A thin command line: each command lives in its own module under ``passport/keys``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

COMMANDS = {
    "collect": ("passport.keys.collect", "compter les orientations par mois, à partir des clés (sans nom)"),
}


def main(argv: Sequence[str]) -> int:
    if not argv or argv[0] in ("-h", "--aide", "--help"):
        print("Utilisation : build_key.py COMMANDE [options]   (build_key.py COMMANDE --aide pour le détail)\n")
        print("Commandes :")
        for name, (_, about) in COMMANDS.items():
            print(f"  {name:<10} {about}")
        return 0 if argv else 2
    if argv[0] not in COMMANDS:
        print(f"Erreur : commande inconnue « {argv[0]} ». Commandes : {', '.join(COMMANDS)}.", file=sys.stderr)
        return 2
    return importlib.import_module(COMMANDS[argv[0]][0]).main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
