"""``python -m passport``: serve the passport of a key."""

import sys

from passport.launcher import main

if __name__ == "__main__":
    sys.exit(main())
