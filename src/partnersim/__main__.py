"""``python -m partnersim`` runs the command line."""

import sys

from partnersim.cli import main

if __name__ == "__main__":  # (worker processes import this module again: they must not run the command)
    sys.exit(main())
