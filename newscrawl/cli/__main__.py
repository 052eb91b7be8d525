"""`python -m newscrawl.cli`: the `newscrawl` command without the console script."""
import sys

from newscrawl.cli import main

sys.exit(main())
