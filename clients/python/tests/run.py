#!/usr/bin/env python3
"""Runs the Python client's tests (unittest) against a real dlc-rpcd.

    python3 clients/python/tests/run.py [--rpcd PATH] [unittest names…]

Generates the message modules first (dlc_client.generate; a no-op when up
to date). Needs libpq's PG* variables for the test database server, as
`scripts/dlc test` sets them (or: eval "$(scripts/pg.sh use)"). ctest runs
it as python.client. Closes with "N passed, N failed[, N skipped]".

Debian's python3-protobuf belongs to Debian's interpreter: when the
python3 first on PATH (a pyenv one, say) cannot import google.protobuf,
the script starts again under /usr/bin/python3.
"""
import argparse
import os
import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLIENT_ROOT = HERE.parent
DEBIAN_PYTHON = "/usr/bin/python3"


def reexec_with_debian_python():
    """Replaces this process with Debian's python3 when protobuf is missing
    here and that interpreter is another one."""
    try:
        import google.protobuf  # noqa: F401
        return
    except ImportError:
        pass
    if os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON) and \
            os.access(DEBIAN_PYTHON, os.X_OK):
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON] + sys.argv)
    sys.exit("google.protobuf is not importable: apt-get install python3-protobuf "
             "(or scripts/dlc deps)")


def parse_args(argv):
    default_rpcd = CLIENT_ROOT.parents[1] / "build" / "default" / "dlc-rpcd"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rpcd", default=str(default_rpcd), help="the dlc-rpcd binary")
    parser.add_argument("names", nargs="*", help="tests to run (default: all)")
    return parser.parse_args(argv)


def load(names):
    loader = unittest.TestLoader()
    if names:
        return loader.loadTestsFromNames(names)
    return loader.discover(str(HERE), pattern="test_*.py", top_level_dir=str(HERE))


def main(argv=None):
    reexec_with_debian_python()
    args = parse_args(argv)
    if not os.access(args.rpcd, os.X_OK):
        sys.exit("%s not found: build first (scripts/dlc build) or pass --rpcd" % args.rpcd)
    os.environ["DLC_TEST_RPCD"] = args.rpcd
    sys.path[:0] = [str(CLIENT_ROOT), str(HERE)]
    from dlc_client import generate
    if generate.main([]) != 0:
        return 1
    result = unittest.TextTestRunner(verbosity=2).run(load(args.names))
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 0 if result.wasSuccessful() and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
