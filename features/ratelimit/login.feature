Feature: Login throttling
  Logins are limited per client IP and per username before any password is
  hashed, so guessing and credential stuffing slow down, while the bucket
  refills: the real user is never locked out for good.

  Background:
    Given a user "ann" registered with password "correct horse"
    And a user "bob" registered with password "battery staple"

  Scenario: Failed guesses for one username, then 429 even with the right password
    Given rate limiting allows 1 login_per_user attempts per 1m with a burst of 3
    When I log in as "ann" with password "wrong 1"
    And I log in as "ann" with password "wrong 2"
    And I log in as "ann" with password "wrong 3"
    Then the status is 401
    When I log in as "ann" with password "correct horse"
    Then the status is 429
    And the error is "rate_limited"
    And the response header "Retry-After" matches "^[0-9]+$"
    When I log in as "ANN" with password "correct horse"
    Then the status is 429
    When I log in as "bob" with password "battery staple"
    Then the status is 200

  Scenario: One client trying many usernames is limited per IP
    Given rate limiting allows 1 login_per_ip attempts per 1m with a burst of 2
    When I log in as "ann" with password "wrong"
    And I log in as "bob" with password "wrong"
    And I log in as "carol" with password "wrong"
    Then the status is 429
    And the response header "RateLimit-Policy" is '"login_ip";q=1;w=60'

  Scenario: The master password is throttled like a login
    Given rate limiting allows 1 login_per_ip attempts per 1m with a burst of 1
    And the admin master password is "the master password of this test"
    When I POST "/api/v1/auth/admin/login" with JSON:
      """
      {"master_password": "a guess"}
      """
    Then the status is 401
    When I POST "/api/v1/auth/admin/login" with JSON:
      """
      {"master_password": "the master password of this test"}
      """
    Then the status is 429

  Scenario: Password-reset completion is limited per username
    Given rate limiting allows 3 reset_per_user attempts per 1h with a burst of 3
    When I POST "/api/v1/auth/password-reset" with JSON:
      """
      {"username": "ann", "new_password": "a new password 1"}
      """
    And I POST "/api/v1/auth/password-reset" with JSON:
      """
      {"username": "ann", "new_password": "a new password 2"}
      """
    And I POST "/api/v1/auth/password-reset" with JSON:
      """
      {"username": "ann", "new_password": "a new password 3"}
      """
    Then the status is 403
    When I POST "/api/v1/auth/password-reset" with JSON:
      """
      {"username": "ann", "new_password": "a new password 4"}
      """
    Then the status is 429
