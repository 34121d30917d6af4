"""behave hooks: one Suite per behave process, one Stack per scenario.

A daemon that crashes, exits non-zero or hangs on SIGTERM fails the
scenario from after_scenario (behave marks a scenario failed when that hook
raises), because a crash is a defect even when every answer looked right.
"""
import os
import signal
import sys

from dlc_bdd.world import Suite


def _report(text):
    """Writes past behave's output capture: log tails must be visible in
    the run's output, whatever formatter or capture mode is used."""
    out = sys.__stdout__
    out.write("\n" + text.rstrip() + "\n")
    out.flush()


def _failure_text(scenario):
    """Why the scenario failed: the failing step and its message (the
    progress formatter shows neither), or the hook error."""
    for step in scenario.all_steps:
        if step.status.name in ("failed", "undefined"):
            return "%s %s\n%s" % (step.keyword, step.name,
                                  step.error_message or step.status.name)
    return getattr(scenario, "error_message", None) or ""


def _exit_on_sigterm(signum, frame):
    """SIGTERM would end Python without running atexit handlers; exiting
    through SystemExit lets the suite drop its databases on the way out."""
    sys.exit(128 + signum)


def before_all(context):
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    context.suite = Suite()
    context.suite.setup()


def after_all(context):
    suite = getattr(context, "suite", None)
    if suite is not None:
        suite.teardown()


def before_scenario(context, scenario):
    context.stack = context.suite.new_stack()
    context.request_headers = {}
    context.response = None
    context.remembered = {}


def after_scenario(context, scenario):
    stack = getattr(context, "stack", None)
    if stack is None:
        return
    problems = stack.close()
    if scenario.status.name == "failed" or problems:
        _report("==== %s: %s\n%s\n%s" % (scenario.location, scenario.name,
                                          _failure_text(scenario), stack.logs_report()))
    if os.environ.get("DLC_BDD_KEEP"):
        _report("kept %s" % stack.dir)
    else:
        stack.remove_files()
    if problems:
        raise AssertionError("daemon problems: " + "; ".join(problems))
