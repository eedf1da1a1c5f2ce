"""``python -m partnersim`` runs the command line."""

import sys

from partnersim.cli import main

sys.exit(main())
