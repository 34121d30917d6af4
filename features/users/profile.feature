Feature: The caller's own profile
  GET /api/v1/users/me answers the profile of the token's user:
  {"id", "username", "description", "current_goal", "is_admin", "created_at",
  "last_login"}. PATCH /api/v1/users/me changes description and current_goal,
  only the keys present in the body, each at most 1000 characters, and
  answers the updated profile.

  Scenario: A logged-in user reads their profile
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    When I GET "/api/v1/users/me"
    Then the status is 200
    And the content type is "application/json"
    And the JSON has keys "id, username, description, current_goal, is_admin, created_at, last_login"
    And the JSON at "username" is "ann"
    And the JSON at "description" is ""
    And the JSON at "current_goal" is ""
    And the JSON at "is_admin" equals false
    And the JSON at "created_at" is a timestamp

  Scenario: The login shows as last_login
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    When I GET "/api/v1/users/me"
    Then the status is 200
    And the JSON at "last_login" is a timestamp

  Scenario: The profile is the one registration created
    When I POST "/api/v1/auth/register" with JSON
      """
      {"username": "ann", "password": "correct horse"}
      """
    And I remember the JSON at "id" as "id"
    And I remember the JSON at "created_at" as "created_at"
    Given I am logged in as "ann" with password "correct horse"
    When I GET "/api/v1/users/me"
    Then the status is 200
    And the JSON at "id" is the remembered "id"
    And the JSON at "created_at" is the remembered "created_at"

  Scenario: Each user sees their own profile
    Given users "ann, bob" registered with password "correct horse"
    And I am logged in as "bob" with password "correct horse"
    When I GET "/api/v1/users/me"
    Then the status is 200
    And the JSON at "username" is "bob"

  Scenario: Without a token the profile is refused
    Given a user "ann" registered with password "correct horse"
    When I GET "/api/v1/users/me"
    Then the status is 401
    And the error is "unauthorized"

  Scenario: A garbage token is refused
    Given the request header "Authorization" is "Bearer not.a.token"
    When I GET "/api/v1/users/me"
    Then the status is 401
    And the error is "unauthorized"

  Scenario: Without a token the profile cannot be changed
    When I PATCH "/api/v1/users/me" with JSON
      """
      {"description": "sneaky"}
      """
    Then the status is 401
    And the error is "unauthorized"

  Scenario: Setting the description answers the updated profile
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    When I PATCH "/api/v1/users/me" with JSON
      """
      {"description": "Salsa on Tuesdays"}
      """
    Then the status is 200
    And the JSON has keys "id, username, description, current_goal, is_admin, created_at, last_login"
    And the JSON at "username" is "ann"
    And the JSON at "description" is "Salsa on Tuesdays"
    And the JSON at "current_goal" is ""
    When I GET "/api/v1/users/me"
    Then the status is 200
    And the JSON at "description" is "Salsa on Tuesdays"

  Scenario: Only the keys present change
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    When I PATCH "/api/v1/users/me" with JSON
      """
      {"description": "Salsa on Tuesdays"}
      """
    Then the status is 200
    When I PATCH "/api/v1/users/me" with JSON
      """
      {"current_goal": "Learn the cross-body lead"}
      """
    Then the status is 200
    And the JSON at "current_goal" is "Learn the cross-body lead"
    And the JSON at "description" is "Salsa on Tuesdays"
    When I GET "/api/v1/users/me"
    Then the JSON at "description" is "Salsa on Tuesdays"
    And the JSON at "current_goal" is "Learn the cross-body lead"

  Scenario: Both keys change together
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    When I PATCH "/api/v1/users/me" with JSON
      """
      {"description": "Tango", "current_goal": "Ochos"}
      """
    Then the status is 200
    And the JSON at "description" is "Tango"
    And the JSON at "current_goal" is "Ochos"

  Scenario: An empty body changes nothing
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    When I PATCH "/api/v1/users/me" with JSON
      """
      {"description": "Tango", "current_goal": "Ochos"}
      """
    And I PATCH "/api/v1/users/me" with JSON
      """
      {}
      """
    Then the status is 200
    And the JSON at "description" is "Tango"
    And the JSON at "current_goal" is "Ochos"

  Scenario: A key present with an empty string clears it
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    When I PATCH "/api/v1/users/me" with JSON
      """
      {"description": "Tango", "current_goal": "Ochos"}
      """
    And I PATCH "/api/v1/users/me" with JSON
      """
      {"current_goal": ""}
      """
    Then the status is 200
    And the JSON at "current_goal" is ""
    And the JSON at "description" is "Tango"

  Scenario: Changes are the user's own
    Given users "ann, bob" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    When I PATCH "/api/v1/users/me" with JSON
      """
      {"description": "Ann's corner"}
      """
    Then the status is 200
    Given I am logged in as "bob" with password "correct horse"
    When I GET "/api/v1/users/me"
    Then the JSON at "description" is ""

  Scenario Outline: 1000 characters of <field> is the limit
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    When I PATCH "/api/v1/users/me" with the field "<field>" set to 1000 "a" characters
    Then the status is 200
    And the JSON at "<field>" has 1000 characters

    Examples:
      | field        |
      | description  |
      | current_goal |

  Scenario: The limit counts characters, not bytes
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    When I PATCH "/api/v1/users/me" with the field "description" set to 1000 "é" characters
    Then the status is 200
    And the JSON at "description" has 1000 characters

  Scenario Outline: 1001 characters of <field> is too long, and nothing changes
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    When I PATCH "/api/v1/users/me" with the field "<field>" set to 1001 "a" characters
    Then the status is 400
    And the error is "invalid_argument"
    And the error details name the field "<field>"
    When I GET "/api/v1/users/me"
    Then the JSON at "<field>" is ""

    Examples:
      | field        |
      | description  |
      | current_goal |

  Scenario: An unknown key is refused, naming it
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    When I PATCH "/api/v1/users/me" with JSON
      """
      {"description": "Tango", "favourite_dance": "waltz"}
      """
    Then the status is 400
    And the error is "invalid_argument"
    And the error details name the field "favourite_dance"
    When I GET "/api/v1/users/me"
    Then the JSON at "description" is ""

  Scenario: The profile cannot be changed through PATCH fields it does not offer
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    When I PATCH "/api/v1/users/me" with JSON
      """
      {"is_admin": true}
      """
    Then the status is 400
    And the error is "invalid_argument"
    And the error details name the field "is_admin"
    When I GET "/api/v1/users/me"
    Then the JSON at "is_admin" equals false
