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
      {"username": "ann", "reset_code": "AAAAAAAAAAAAAAAAAAAAAAAA", "new_password": "a new password 1"}
      """
    And I POST "/api/v1/auth/password-reset" with JSON:
      """
      {"username": "ann", "reset_code": "AAAAAAAAAAAAAAAAAAAAAAAA", "new_password": "a new password 2"}
      """
    And I POST "/api/v1/auth/password-reset" with JSON:
      """
      {"username": "ann", "reset_code": "AAAAAAAAAAAAAAAAAAAAAAAA", "new_password": "a new password 3"}
      """
    Then the status is 403
    When I POST "/api/v1/auth/password-reset" with JSON:
      """
      {"username": "ann", "reset_code": "AAAAAAAAAAAAAAAAAAAAAAAA", "new_password": "a new password 4"}
      """
    Then the status is 429

  Scenario: Only failures count per username: the user's own logins never add up
    Given rate limiting allows 1 login_per_user attempts per 1m with a burst of 2
    When I log in as "ann" with password "correct horse"
    And I log in as "ann" with password "correct horse"
    And I log in as "ann" with password "correct horse"
    And I log in as "ann" with password "correct horse"
    Then the status is 200

  Scenario: A guesser elsewhere slows themselves, not the user
    Given rate limiting allows 1 login_per_user attempts per 1m with a burst of 2
    And the configuration sets "server.trusted_proxies" to ["127.0.0.1"]
    And the request header "X-Forwarded-For" is "203.0.113.66"
    When I log in as "ann" with password "guess 1"
    And I log in as "ann" with password "guess 2"
    And I log in as "ann" with password "guess 3"
    Then the status is 429
    Given the request header "X-Forwarded-For" is "203.0.113.10"
    When I log in as "ann" with password "correct horse"
    Then the status is 200

  Scenario: Many guessers together reach the per-username ceiling
    Given rate limiting allows 1 login_per_user_total attempts per 1m with a burst of 2
    And the configuration sets "server.trusted_proxies" to ["127.0.0.1"]
    And the request header "X-Forwarded-For" is "203.0.113.1"
    When I log in as "ann" with password "guess 1"
    Given the request header "X-Forwarded-For" is "203.0.113.2"
    When I log in as "ann" with password "guess 2"
    Given the request header "X-Forwarded-For" is "203.0.113.3"
    When I log in as "ann" with password "guess 3"
    Then the status is 429
    And one of the response headers "RateLimit-Policy" is '"login_user_total";q=1;w=60'

  Scenario: The master password has a budget shared by every client
    Given rate limiting allows 1 master_global attempts per 1m with a burst of 1
    And the admin master password is "the master password of this test"
    And the configuration sets "server.trusted_proxies" to ["127.0.0.1"]
    And the request header "X-Forwarded-For" is "203.0.113.1"
    When I POST "/api/v1/auth/admin/login" with JSON:
      """
      {"master_password": "a guess"}
      """
    Then the status is 401
    Given the request header "X-Forwarded-For" is "203.0.113.2"
    When I POST "/api/v1/auth/admin/login" with JSON:
      """
      {"master_password": "the master password of this test"}
      """
    Then the status is 429

  Scenario: Registration is limited per client
    Given rate limiting allows 1 register_per_ip attempts per 1h with a burst of 2
    When I POST "/api/v1/auth/register" with JSON:
      """
      {"username": "carol", "password": "a long password"}
      """
    Then the status is 201
    When I POST "/api/v1/auth/register" with JSON:
      """
      {"username": "dave", "password": "a long password"}
      """
    Then the status is 201
    When I POST "/api/v1/auth/register" with JSON:
      """
      {"username": "erin", "password": "a long password"}
      """
    Then the status is 429
    And one of the response headers "RateLimit-Policy" is '"register_ip";q=1;w=3600'

  Scenario: Registration has a budget shared by every client
    Given rate limiting allows 1 register_global attempts per 1h with a burst of 1
    And the configuration sets "server.trusted_proxies" to ["127.0.0.1"]
    And the request header "X-Forwarded-For" is "203.0.113.1"
    When I POST "/api/v1/auth/register" with JSON:
      """
      {"username": "carol", "password": "a long password"}
      """
    Then the status is 201
    Given the request header "X-Forwarded-For" is "203.0.113.2"
    When I POST "/api/v1/auth/register" with JSON:
      """
      {"username": "dave", "password": "a long password"}
      """
    Then the status is 429

  Scenario: Password-reset completion is limited per client, whatever the usernames
    Given rate limiting allows 1 reset_per_ip attempts per 1h with a burst of 2
    When I POST "/api/v1/auth/password-reset" with JSON:
      """
      {"username": "nobody1", "reset_code": "AAAAAAAAAAAAAAAAAAAAAAAA", "new_password": "a new password"}
      """
    And I POST "/api/v1/auth/password-reset" with JSON:
      """
      {"username": "nobody2", "reset_code": "AAAAAAAAAAAAAAAAAAAAAAAA", "new_password": "a new password"}
      """
    Then the status is 403
    When I POST "/api/v1/auth/password-reset" with JSON:
      """
      {"username": "nobody3", "reset_code": "AAAAAAAAAAAAAAAAAAAAAAAA", "new_password": "a new password"}
      """
    Then the status is 429

  Scenario: Requests refused for their shape charge no budget
    Given rate limiting allows 1 reset_per_ip attempts per 1h with a burst of 1
    When I POST "/api/v1/auth/password-reset" with JSON:
      """
      {"username": "nobody1", "new_password": "short"}
      """
    And I POST "/api/v1/auth/password-reset" with JSON:
      """
      {"username": "nobody2", "new_password": "short"}
      """
    Then the status is 400
    When I POST "/api/v1/auth/password-reset" with JSON:
      """
      {"username": "nobody3", "reset_code": "AAAAAAAAAAAAAAAAAAAAAAAA", "new_password": "a new password"}
      """
    Then the status is 403

  Scenario: Guessing the current password of a password change is limited like a login
    Given rate limiting allows 1 login_per_user attempts per 1h with a burst of 2
    And I am logged in as "ann" with password "correct horse"
    When I POST "/api/v1/users/me/password" 2 times with JSON
      """
      {"current_password": "a wrong guess", "new_password": "battery staple"}
      """
    Then the status is 401
    When I POST "/api/v1/users/me/password" with JSON
      """
      {"current_password": "correct horse", "new_password": "battery staple"}
      """
    Then the status is 429
    And the error is "rate_limited"
