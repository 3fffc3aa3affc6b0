"""build.sh's door into the package: `python -I -S buildtools/__main__.py build|layer ARGS...`.

-I keeps every folder of ours off sys.path, the script's own too, so the repository root is put
there by hand: appended, so that nothing in it can shadow the standard library.
"""

import os
import sys


def run() -> None:
    sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from buildtools.cli import main

    main(sys.argv[1:])


if __name__ == "__main__":
    run()
