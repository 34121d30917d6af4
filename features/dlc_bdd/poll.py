"""Waiting for something asynchronous (a daemon listening, a reload, a
NOTIFY reaching another core) by polling it, never by a fixed sleep: the
wait is as short as the machine allows and as long as the timeout says."""
import time

INTERVAL_S = 0.05


def until(condition, seconds, what, report=None, interval=INTERVAL_S):
    """Calls condition() until it returns something truthy, and returns
    that. After `seconds` without success, fails with an AssertionError
    naming `what` (what was waited for) and the timeout, followed by
    `report`: a string, or a callable giving one, called only on failure
    (for log tails or the last answer seen). condition() may raise to fail
    at once (a daemon died, an answer that can never turn right)."""
    deadline = time.monotonic() + seconds
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            text = report() if callable(report) else report
            message = "timed out after %g s waiting for %s" % (seconds, what)
            raise AssertionError(message + ("\n" + text if text else ""))
        time.sleep(interval)
