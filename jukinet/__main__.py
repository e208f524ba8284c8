"""`python -m jukinet`: the command line, as the `jukinet` script."""

import sys

from jukinet.model.cli.main import main

sys.exit(main())
