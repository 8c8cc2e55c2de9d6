import sys

from flowscan.entry import main

sys.exit(main())
