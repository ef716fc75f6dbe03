"""`python -m bench.checkpoints`: build (or reuse) the benchmark's checkpoints and print where they are.

The checkpoints are made by ``fixtures.sized`` (shared with the tests' fixtures);
this module is only its command line: ``python -m bench.checkpoints --help``.
"""

import sys

from fixtures.sized import main

if __name__ == "__main__":
    sys.exit(main())
