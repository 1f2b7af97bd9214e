"""runner: runs the e2e unittest modules (test_*.py here; test_faults and test_restart last)
and counts tests: a test passes when neither it nor any of its subtests
failed or errored; a skipped test counts as neither; a class or module
fixture error counts as one failed test.

  /usr/bin/python3 tests/e2e/runner.py [test names...]

Prints `e2e: N passed, M failed` as its last line, or writes "N M" to
$E2E_COUNTS_FILE when that is set (tests/e2e/run.sh adds its own checks)."""

import glob
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.environ.get("E2E_PYGEN", "build/release/gen/py"))

LAST = ("test_faults", "test_restart")  # disturb the daemons: after everything else


class CountingResult(unittest.TextTestResult):
    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.started = []
        self.failed_ids = set()
        self.skipped_ids = set()

    def startTest(self, test):
        self.started.append(test.id())
        super().startTest(test)

    def _mark_failed(self, test):
        # a fixture error arrives as an _ErrorHolder with its own description
        self.failed_ids.add(getattr(test, "test_case", test).id())

    def addFailure(self, test, err):
        self._mark_failed(test)
        super().addFailure(test, err)

    def addError(self, test, err):
        self._mark_failed(test)
        super().addError(test, err)

    def addSubTest(self, test, subtest, err):
        if err is not None:
            self._mark_failed(test)
        super().addSubTest(test, subtest, err)

    def addSkip(self, test, reason):
        self.skipped_ids.add(test.id())
        super().addSkip(test, reason)

    def addUnexpectedSuccess(self, test):
        self._mark_failed(test)
        super().addUnexpectedSuccess(test)

    def counts(self):
        passed = [t for t in self.started if t not in self.failed_ids and t not in self.skipped_ids]
        return len(passed), len(self.failed_ids)


def module_names():
    names = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(HERE, "test_*.py")))
    return [n for n in names if n not in LAST] + [n for n in LAST if n in names]


def _raiser(exc):
    def fail():
        raise exc
    return fail


def main(argv):
    loader = unittest.TestLoader()
    names = argv[1:] or module_names()
    suite = unittest.TestSuite()
    for name in names:
        try:
            suite.addTests(loader.loadTestsFromName(name))
        except Exception as e:  # e.g. a syntax error: one failed test, not a crash
            suite.addTest(unittest.FunctionTestCase(_raiser(e), description="load " + name))
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=CountingResult)
    result = runner.run(suite)
    passed, failed = result.counts()
    skipped = len(result.skipped_ids)
    counts_file = os.environ.get("E2E_COUNTS_FILE")
    if counts_file:
        with open(counts_file, "w") as f:
            f.write("%d %d %d\n" % (passed, failed, skipped))
        print("python e2e tests: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    else:
        print("e2e: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
