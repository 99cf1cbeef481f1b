#!/usr/bin/env python3
"""Prepare, verify and update the passport's USB keys: see ``python build_key.py --help``."""

import sys

from passport.keys.cli import main

if __name__ == "__main__":
    sys.exit(main())
