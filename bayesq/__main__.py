import sys

from bayesq.cli import main

sys.exit(main())
