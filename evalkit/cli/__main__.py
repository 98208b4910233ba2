"""``python -m evalkit.cli``: the ``evalkit`` command."""

import sys

from .main import main

sys.exit(main())
