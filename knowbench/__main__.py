import sys

from knowbench.cli import main

sys.exit(main())
