Feature: Changing one's own password
  POST /api/v1/users/me/password {"current_password", "new_password"}
  answers 204 with an empty body; from then on only the new password logs in.
  A wrong current password is 401 invalid_credentials; the new password
  follows the registration rule (8–128 characters).

  Background:
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"

  Scenario: The new password replaces the old one
    When I POST "/api/v1/users/me/password" with JSON
      """
      {"current_password": "correct horse", "new_password": "battery staple"}
      """
    Then the status is 204
    And the body is ""
    When I log in as "ann" with password "battery staple"
    Then the status is 200
    When I log in as "ann" with password "correct horse"
    Then the status is 401
    And the error is "invalid_credentials"

  Scenario: A wrong current password is refused and changes nothing
    When I POST "/api/v1/users/me/password" with JSON
      """
      {"current_password": "wrong horse!", "new_password": "battery staple"}
      """
    Then the status is 401
    And the error is "invalid_credentials"
    When I log in as "ann" with password "correct horse"
    Then the status is 200
    When I log in as "ann" with password "battery staple"
    Then the status is 401

  Scenario Outline: A new password of <length> characters is refused and changes nothing
    When I POST "/api/v1/users/me/password" with JSON
      """
      {"current_password": "correct horse", "new_password": "<new_password>"}
      """
    Then the status is 400
    And the error is "invalid_argument"
    And the error details name the field "new_password"
    When I log in as "ann" with password "correct horse"
    Then the status is 200

    Examples:
      | length | new_password |
      | 7      | seven77      |
      | 0      |              |

  Scenario: Another user's password is untouched
    Given a user "bob" registered with password "bob's password"
    When I POST "/api/v1/users/me/password" with JSON
      """
      {"current_password": "correct horse", "new_password": "battery staple"}
      """
    Then the status is 204
    When I log in as "bob" with password "bob's password"
    Then the status is 200

  Scenario: Without a token the password cannot be changed
    Given I send requests without a token
    When I POST "/api/v1/users/me/password" with JSON
      """
      {"current_password": "correct horse", "new_password": "battery staple"}
      """
    Then the status is 401
    And the error is "unauthorized"
    When I log in as "ann" with password "correct horse"
    Then the status is 200
