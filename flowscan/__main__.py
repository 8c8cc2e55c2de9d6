import sys

from flowscan.cli import main

sys.exit(main())
