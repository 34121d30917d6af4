Feature: A flood cannot switch the rate limits off
  The limits as shipped (only the hash strength is lowered, so that the
  floods run fast) against clients that send a hundred thousand cheap
  requests. The in-memory limiter holds at most ratelimit.max_keys keys per
  policy; beyond that new keys share an overflow bucket, so limiting gets
  coarser and never stops.

  Background:
    Given the configuration leaves "server.threads" at its default
    And the configuration sets "ratelimit.enabled" to true
    And the configuration sets "server.trusted_proxies" to ["127.0.0.1"]
    And a user "ann" registered with password "correct horse"

  Scenario: 110,000 password resets with distinct usernames leave the login limits working
    When a client sends 110000 password resets with an invalid new password
    Then every request of the flood was answered
    And 40 wrong logins in a row as "ann" meet 429 by attempt 6

  Scenario: 110,000 wrong logins from as many addresses leave the login limits working
    When a client sends 110000 wrong logins from as many addresses
    Then every request of the flood was answered
    And 40 wrong logins in a row as "ann" meet 429 by attempt 6

  Scenario: The shared store is bounded too
    Given the configuration sets "ratelimit.store" to "postgres"
    And the configuration sets "ratelimit.max_keys" to 100
    When a client sends 300 wrong logins from as many addresses
    # the core counts the buckets every 10 s: then the table is full
    And I wait 11 seconds
    And a client sends 300 wrong logins from as many addresses
    Then every request of the flood was answered
    And the shared rate-limit table holds at most 301 "login_user" buckets
    And 40 wrong logins in a row as "ann" meet 429 by attempt 6
