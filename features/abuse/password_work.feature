Feature: Password work cannot be exhausted
  Every registration and reset completion hashes a password (argon2id,
  interactive strength here, as shipped) on a few hashing threads. Budgets
  charged before any hashing (per client and for everyone) and two queues
  served in turn keep a flood of one kind from starving logins.

  Background:
    Given the configuration leaves "auth.password.hash_strength" at its default
    And the configuration leaves "server.threads" at its default
    And the configuration sets "ratelimit.enabled" to true
    And the configuration sets "server.trusted_proxies" to ["127.0.0.1"]
    And a user "ann" registered with password "correct horse"

  Scenario: A registration flood from many addresses does not starve logins
    When "ann" logs in 10 times with password "correct horse" while a client sends 2000 registrations from as many addresses
    Then every request of the flood was answered
    And every one of those logins succeeded

  Scenario: Guesses from elsewhere never lock the user out
    When "ann" logs in 10 times with password "correct horse" while a client sends 300 wrong logins as ann from one address
    Then every one of those logins succeeded
