Feature: Password reset with a one-time code from an admin
  A user who forgot their password asks an admin, who allows a reset:
  POST /api/v1/admin/users/{username}/password-reset answers
  {"username", "allow_password_reset": true, "reset_code", "expires_at"}
  (404 not_found for unknown users). The code is shown this once; the admin
  hands it to the user, who sets a new password without a token:
  POST /api/v1/auth/password-reset {"username", "reset_code", "new_password"}
  answers {"reset": true} once. A wrong or expired code, an unflagged user
  and an unknown user all get the same 403 password_reset_not_allowed.
  auth.password_reset.max_failures wrong codes withdraw the permission; a
  login or password change by the user withdraws it too.

  Background:
    Given the admin master password is "admin-master-secret"
    And a user "ann" registered with password "correct horse"

  Scenario: The admin gets a code and the user completes the reset with it
    Given I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/password-reset"
    Then the status is 200
    And the JSON has keys "username, allow_password_reset, reset_code, expires_at"
    And the JSON at "username" is "ann"
    And the JSON at "allow_password_reset" equals true
    And the JSON at "reset_code" matches "^[A-Za-z0-9_-]{24}$"
    And the JSON at "expires_at" matches "^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"
    And the response header "Cache-Control" is "no-store"
    When I remember the JSON at "reset_code" as "code"
    And I send requests without a token
    And I POST "/api/v1/auth/password-reset" with JSON filled from the remembered values
      """
      {"username": "ann", "reset_code": "${code}", "new_password": "battery staple"}
      """
    Then the status is 200
    And the JSON is
      """
      {"reset": true}
      """
    When I log in as "ann" with password "battery staple"
    Then the status is 200
    When I log in as "ann" with password "correct horse"
    Then the status is 401
    And the error is "invalid_credentials"

  Scenario: Every code is new
    Given I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/password-reset"
    And I remember the JSON at "reset_code" as "first"
    And I send "POST" "/api/v1/admin/users/ann/password-reset"
    Then the JSON at "reset_code" is not the remembered "first"

  Scenario: Knowing the username is not enough
    Given I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/password-reset"
    Then the status is 200
    Given I send requests without a token
    When I POST "/api/v1/auth/password-reset" with JSON
      """
      {"username": "ann", "reset_code": "AAAAAAAAAAAAAAAAAAAAAAAA", "new_password": "battery staple"}
      """
    Then the status is 403
    And the error is "password_reset_not_allowed"
    When I POST "/api/v1/auth/password-reset" with JSON
      """
      {"username": "ann", "reset_code": "not a code", "new_password": "battery staple"}
      """
    Then the status is 403
    And the error is "password_reset_not_allowed"
    When I log in as "ann" with password "correct horse"
    Then the status is 200

  Scenario: A wrong code and an unknown user get the same answer
    Given I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/password-reset"
    Given I send requests without a token
    When I POST "/api/v1/auth/password-reset" with JSON
      """
      {"username": "ann", "reset_code": "AAAAAAAAAAAAAAAAAAAAAAAA", "new_password": "battery staple"}
      """
    And I remember the response body as "wrong_code"
    And I POST "/api/v1/auth/password-reset" with JSON
      """
      {"username": "nobody", "reset_code": "AAAAAAAAAAAAAAAAAAAAAAAA", "new_password": "battery staple"}
      """
    Then the status is 403
    And the body is the remembered "wrong_code"

  Scenario: The code is required
    Given I send requests without a token
    When I POST "/api/v1/auth/password-reset" with JSON
      """
      {"username": "ann", "new_password": "battery staple"}
      """
    Then the status is 400
    And the error is "invalid_argument"
    And the error details name the field "reset_code"

  Scenario: A code is used once
    Given I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/password-reset"
    And I remember the JSON at "reset_code" as "code"
    And I send requests without a token
    And I POST "/api/v1/auth/password-reset" with JSON filled from the remembered values
      """
      {"username": "ann", "reset_code": "${code}", "new_password": "battery staple"}
      """
    Then the status is 200
    When I POST "/api/v1/auth/password-reset" with JSON filled from the remembered values
      """
      {"username": "ann", "reset_code": "${code}", "new_password": "someone else's"}
      """
    Then the status is 403
    And the error is "password_reset_not_allowed"
    When I log in as "ann" with password "battery staple"
    Then the status is 200

  Scenario: A code is one user's, not everyone's
    Given a user "bob" registered with password "bob's password"
    And I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/password-reset"
    And I remember the JSON at "reset_code" as "code"
    And I send requests without a token
    And I POST "/api/v1/auth/password-reset" with JSON filled from the remembered values
      """
      {"username": "bob", "reset_code": "${code}", "new_password": "battery staple"}
      """
    Then the status is 403
    And the error is "password_reset_not_allowed"
    When I log in as "bob" with password "bob's password"
    Then the status is 200

  Scenario: An expired code is refused
    Given the configuration sets "auth.password_reset.code_ttl" to "1s"
    And I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/password-reset"
    And I remember the JSON at "reset_code" as "code"
    And I wait 1.5 seconds
    And I send requests without a token
    And I POST "/api/v1/auth/password-reset" with JSON filled from the remembered values
      """
      {"username": "ann", "reset_code": "${code}", "new_password": "battery staple"}
      """
    Then the status is 403
    And the error is "password_reset_not_allowed"

  Scenario: Wrong codes withdraw the permission
    Given the configuration sets "auth.password_reset.max_failures" to 2
    And I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/password-reset"
    And I remember the JSON at "reset_code" as "code"
    And I send requests without a token
    And I POST "/api/v1/auth/password-reset" 2 times with JSON
      """
      {"username": "ann", "reset_code": "AAAAAAAAAAAAAAAAAAAAAAAA", "new_password": "battery staple"}
      """
    And I POST "/api/v1/auth/password-reset" with JSON filled from the remembered values
      """
      {"username": "ann", "reset_code": "${code}", "new_password": "battery staple"}
      """
    Then the status is 403
    And the error is "password_reset_not_allowed"
    When I log in as "ann" with password "correct horse"
    Then the status is 200

  Scenario: A login by the user withdraws the permission
    Given I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/password-reset"
    And I remember the JSON at "reset_code" as "code"
    And I log in as "ann" with password "correct horse"
    And I send requests without a token
    And I POST "/api/v1/auth/password-reset" with JSON filled from the remembered values
      """
      {"username": "ann", "reset_code": "${code}", "new_password": "battery staple"}
      """
    Then the status is 403
    And the error is "password_reset_not_allowed"

  Scenario: A password change by the user withdraws the permission
    Given I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/password-reset"
    And I remember the JSON at "reset_code" as "code"
    Given I am logged in as "ann" with password "correct horse"
    When I POST "/api/v1/users/me/password" with JSON
      """
      {"current_password": "correct horse", "new_password": "horse correct"}
      """
    Then the status is 204
    When I send requests without a token
    And I POST "/api/v1/auth/password-reset" with JSON filled from the remembered values
      """
      {"username": "ann", "reset_code": "${code}", "new_password": "battery staple"}
      """
    Then the status is 403
    When I log in as "ann" with password "horse correct"
    Then the status is 200

  Scenario: A reset revokes the tokens issued before it
    Given I am logged in as "ann" with password "correct horse"
    And I remember the token as "before"
    And I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/password-reset"
    And I remember the JSON at "reset_code" as "code"
    And I send requests without a token
    And I POST "/api/v1/auth/password-reset" with JSON filled from the remembered values
      """
      {"username": "ann", "reset_code": "${code}", "new_password": "battery staple"}
      """
    Then the status is 200
    When I use the token remembered as "before"
    And I GET "/api/v1/users/me"
    Then the status is 401
    And the error is "unauthorized"

  Scenario: A new password that is too short is refused, and the code stays valid
    Given I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/password-reset"
    And I remember the JSON at "reset_code" as "code"
    And I send requests without a token
    And I POST "/api/v1/auth/password-reset" with JSON filled from the remembered values
      """
      {"username": "ann", "reset_code": "${code}", "new_password": "short"}
      """
    Then the status is 400
    And the error is "invalid_argument"
    And the error details name the field "new_password"
    When I POST "/api/v1/auth/password-reset" with JSON filled from the remembered values
      """
      {"username": "ann", "reset_code": "${code}", "new_password": "battery staple"}
      """
    Then the status is 200
    And the JSON at "reset" equals true

  Scenario: Allowing a reset for an unknown user is not found
    Given I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/nobody/password-reset"
    Then the status is 404
    And the error is "not_found"

  Scenario: Allowing a reset for a deleted user is not found
    Given I am logged in as the admin
    When I send "DELETE" "/api/v1/admin/users/ann"
    Then the status is 204
    When I send "POST" "/api/v1/admin/users/ann/password-reset"
    Then the status is 404
    And the error is "not_found"
