Feature: Exactly-once writes with Idempotency-Key
  Every mutating route accepts Idempotency-Key: <1–255 printable ASCII>.
  The first answer is kept for 24 h per caller and key: a repeat gets it
  again (with Idempotent-Replayed: true) and changes nothing, the same key
  with a different request gets 422 idempotency_key_reused, and a repeat
  while the first still runs waits for it (or, past its deadline, gets 409
  idempotency_key_in_use). Refusals (400, 401, 403, 429) are not kept: the
  corrected request may use the same key.

  Scenario: A repeated registration creates one user and answers the same twice
    Given the request header "Idempotency-Key" is "register-ann-1"
    When I POST "/api/v1/auth/register" with JSON
      """
      {"username": "ann", "password": "correct horse"}
      """
    Then the status is 201
    And the response header "Idempotent-Replayed" is absent
    When I remember the response body as "first"
    And I POST "/api/v1/auth/register" with JSON
      """
      {"username": "ann", "password": "correct horse"}
      """
    Then the status is 201
    And the body is the remembered "first"
    And the response header "Idempotent-Replayed" is "true"
    And the database holds 1 user named "ann"

  Scenario: Without a key a repeat runs again
    When I POST "/api/v1/auth/register" with JSON
      """
      {"username": "ann", "password": "correct horse"}
      """
    Then the status is 201
    When I POST "/api/v1/auth/register" with JSON
      """
      {"username": "ann", "password": "correct horse"}
      """
    Then the status is 409
    And the error is "already_exists"

  Scenario: The same key with another request is refused
    Given the request header "Idempotency-Key" is "k-1"
    When I POST "/api/v1/auth/register" with JSON
      """
      {"username": "ann", "password": "correct horse"}
      """
    Then the status is 201
    When I POST "/api/v1/auth/register" with JSON
      """
      {"username": "bob", "password": "correct horse"}
      """
    Then the status is 422
    And the error is "idempotency_key_reused"
    And the database holds 0 users named "bob"

  Scenario: A refusal is not kept: the corrected request may use the same key
    Given the request header "Idempotency-Key" is "k-2"
    When I POST "/api/v1/auth/register" with JSON
      """
      {"username": "ann", "password": "short"}
      """
    Then the status is 400
    When I POST "/api/v1/auth/register" with JSON
      """
      {"username": "ann", "password": "correct horse"}
      """
    Then the status is 201
    And the database holds 1 user named "ann"

  Scenario: A fact about the data is kept: the repeat answers it again
    Given a user "ann" registered with password "correct horse"
    And the request header "Idempotency-Key" is "k-3"
    When I POST "/api/v1/auth/register" with JSON
      """
      {"username": "ann", "password": "another one"}
      """
    Then the status is 409
    When I POST "/api/v1/auth/register" with JSON
      """
      {"username": "ann", "password": "another one"}
      """
    Then the status is 409
    And the error is "already_exists"
    And the response header "Idempotent-Replayed" is "true"

  Scenario: Keys belong to their caller
    Given a user "ann" registered with password "correct horse"
    And a user "bob" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    And the request header "Idempotency-Key" is "profile-1"
    When I PATCH "/api/v1/users/me" with JSON
      """
      {"description": "ann's"}
      """
    Then the status is 200
    Given I am logged in as "bob" with password "correct horse"
    When I PATCH "/api/v1/users/me" with JSON
      """
      {"description": "bob's"}
      """
    Then the status is 200
    And the response header "Idempotent-Replayed" is absent
    And the JSON at "description" is "bob's"

  Scenario: A repeated password change is done once; the repeat meets the revoked token
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    And the request header "Idempotency-Key" is "pw-1"
    When I POST "/api/v1/users/me/password" with JSON
      """
      {"current_password": "correct horse", "new_password": "battery staple"}
      """
    Then the status is 204
    When I POST "/api/v1/users/me/password" with JSON
      """
      {"current_password": "correct horse", "new_password": "battery staple"}
      """
    Then the status is 401
    And the error is "unauthorized"

  Scenario Outline: A key that is not 1–255 printable ASCII characters is refused
    Given the request header "Idempotency-Key" is "<key>"
    When I POST "/api/v1/auth/register" with JSON
      """
      {"username": "ann", "password": "correct horse"}
      """
    Then the status is 400
    And the error details name the field "idempotency-key"
    And the database holds 0 users named "ann"

    Examples:
      | key                |
      |                    |
      | naïve              |
