Feature: Password reset allowed by an admin
  A user who forgot their password asks an admin, who allows a reset:
  POST /api/v1/admin/users/{username}/password-reset answers
  {"username", "allow_password_reset": true} (404 not_found for unknown
  users). The user then sets a new password, without a token:
  POST /api/v1/auth/password-reset {"username", "new_password"} answers
  {"reset": true} once; the permission is used up by that.

  Background:
    Given the admin master password is "admin-master-secret"
    And a user "ann" registered with password "correct horse"

  Scenario: The admin allows a reset and the user completes it
    Given I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/password-reset"
    Then the status is 200
    And the JSON is
      """
      {"username": "ann", "allow_password_reset": true}
      """
    Given I send requests without a token
    When I POST "/api/v1/auth/password-reset" with JSON
      """
      {"username": "ann", "new_password": "battery staple"}
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

  Scenario: Allowing a reset does not change the password by itself
    Given I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/password-reset"
    Then the status is 200
    When I log in as "ann" with password "correct horse"
    Then the status is 200

  Scenario: A reset is allowed once: a second completion is refused
    Given I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/password-reset"
    Then the status is 200
    Given I send requests without a token
    When I POST "/api/v1/auth/password-reset" with JSON
      """
      {"username": "ann", "new_password": "battery staple"}
      """
    Then the status is 200
    When I POST "/api/v1/auth/password-reset" with JSON
      """
      {"username": "ann", "new_password": "someone else's"}
      """
    Then the status is 403
    And the error is "password_reset_not_allowed"
    When I log in as "ann" with password "battery staple"
    Then the status is 200
    When I log in as "ann" with password "someone else's"
    Then the status is 401

  Scenario: The permission is one user's, not everyone's
    Given a user "bob" registered with password "bob's password"
    And I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/password-reset"
    Then the status is 200
    Given I send requests without a token
    When I POST "/api/v1/auth/password-reset" with JSON
      """
      {"username": "bob", "new_password": "battery staple"}
      """
    Then the status is 403
    And the error is "password_reset_not_allowed"
    When I log in as "bob" with password "bob's password"
    Then the status is 200

  Scenario: A new password that is too short is refused, and the reset stays allowed
    Given I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/password-reset"
    Then the status is 200
    Given I send requests without a token
    When I POST "/api/v1/auth/password-reset" with JSON
      """
      {"username": "ann", "new_password": "short"}
      """
    Then the status is 400
    And the error is "invalid_argument"
    And the error details name the field "new_password"
    When I POST "/api/v1/auth/password-reset" with JSON
      """
      {"username": "ann", "new_password": "battery staple"}
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
