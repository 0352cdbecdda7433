import sys

from distill_duck.cli import main

sys.exit(main())
