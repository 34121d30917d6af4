"""One child daemon (dlc-rpcd or dlc-gateway) whose output goes to a log file.

The suite's contract with the daemons is: they run until told to stop, and
SIGTERM makes them exit 0. Anything else (a crash, a non-zero status, an
exit nobody asked for, a hang after SIGTERM) is recorded as a problem so the
scenario fails even when every HTTP answer looked right.
"""
import ctypes
import json
import os
import signal
import subprocess

STOP_TIMEOUT_S = 10.0
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """Runs in the child before exec: the kernel sends it SIGTERM when
    behave dies, however it dies (even SIGKILL), so no daemon outlives the
    run that started it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def describe_status(code):
    """'exit status 3' / 'killed by SIGSEGV': Popen reports signals as -N."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return "killed by %s" % signal.Signals(-code).name
        except ValueError:
            return "killed by signal %d" % -code
    return "exit status %d" % code


def tail(path, lines=30):
    """The last lines of a log, for failure messages."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode("utf-8", "replace")
    except OSError as e:
        return "(no log: %s)" % e
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


class Daemon:
    """A started child process; stop() is idempotent and returns a problem
    description (or None) so callers can report every daemon, not just the
    first that misbehaved."""

    def __init__(self, name, argv, env, log_path):
        self.name = name
        self.log_path = log_path
        self.signalled = False
        self._stopped = False
        with open(log_path, "ab") as log:
            # Same process group as behave: a Ctrl-C reaches the daemons too.
            self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT,
                                         preexec_fn=_die_with_parent)

    @property
    def pid(self):
        return self.proc.pid

    def running(self):
        return self.proc.poll() is None

    def exit_code(self):
        return self.proc.poll()

    def terminate(self):
        """Sends SIGTERM (once) without waiting: steps use this to observe
        the shutdown while it happens."""
        if self.running() and not self.signalled:
            self.signalled = True
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout):
        """The exit code, or None when still running after timeout seconds."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=STOP_TIMEOUT_S):
        """SIGTERM, wait, SIGKILL on timeout. Returns None when the daemon
        behaved (exit 0 after our SIGTERM), else what went wrong."""
        if self._stopped:
            return None
        self._stopped = True
        exited_unasked = not self.running() and not self.signalled
        self.terminate()
        code = self.wait(timeout)
        if code is None:
            self.proc.kill()
            self.proc.wait()
            return "%s (pid %d) did not exit within %g s of SIGTERM and was killed" % (
                self.name, self.pid, timeout)
        if exited_unasked:
            return "%s (pid %d) exited before it was told to stop: %s" % (
                self.name, self.pid, describe_status(code))
        if code != 0:
            return "%s (pid %d) ended with %s after SIGTERM (expected exit status 0)" % (
                self.name, self.pid, describe_status(code))
        return None

    def kill(self):
        """Last resort when the suite itself is going away."""
        if self.running():
            self.proc.kill()
            self.proc.wait()

    def tail(self, lines=30):
        return tail(self.log_path, lines)


def log_records(path):
    """The JSON lines of a daemon's log (the suite's own notes skipped)."""
    with open(path, errors="replace") as log:
        return [json.loads(line) for line in log if line.startswith("{")]
