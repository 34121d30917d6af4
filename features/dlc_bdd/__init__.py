"""Support code of the behave suite (imported by environment.py and steps/).

The suite treats dlc-rpcd and dlc-gateway as black boxes: every scenario gets
its own database (a copy of a migrated template), its own temp dir, its own
config file and its own pair of daemons, so scenarios cannot see each other
and several behave processes can run side by side (names carry the pid).

Modules:
  pg       database administration through psql
  daemon   one child process with its log file
  world    one scenario's database, config and daemons (the "stack")
  http     a tiny HTTP client that treats every status as a normal answer
  expect   JSON paths, placeholders and comparisons used by the Then steps
  client   sending the scenario's requests, its token, the last answer
  poll     waiting for asynchronous changes by polling, with a timeout
  jwt      reading a token's header and claims, signing one (HS256)
"""
