Feature: User administration
  With an admin token (from the master password), GET /api/v1/admin/users
  lists every user's profile in registration order, page by page
  ({"users": [profile…], "next_page_token": ""}), and DELETE
  /api/v1/admin/users/{username} removes a user: they can no longer log in,
  their tokens stop working, and the name stays taken. A user token on an
  admin route is 403 forbidden; no token is 401 unauthorized.

  Background:
    Given the admin master password is "admin-master-secret"

  # -- listing ---------------------------------------------------------------

  Scenario: The admin lists the users with their profiles
    Given users "ann, bob" registered with password "correct horse"
    And I am logged in as the admin
    When I GET "/api/v1/admin/users"
    Then the status is 200
    And the content type is "application/json"
    And the JSON has keys "users, next_page_token"
    And the JSON at "users.0" has keys "id, username, description, current_goal, is_admin, created_at, last_login"
    And the JSON at "users.0.username" is "ann"
    And the JSON at "users.0.is_admin" equals false
    And the JSON at "users.0.created_at" is a timestamp
    And the JSON at "users.1.username" is "bob"
    And the JSON at "next_page_token" is ""

  Scenario: The listing shows what users set and did
    Given users "ann, bob" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    When I PATCH "/api/v1/users/me" with JSON
      """
      {"description": "Salsa on Tuesdays", "current_goal": "Spins"}
      """
    Then the status is 200
    Given I am logged in as the admin
    When I GET "/api/v1/admin/users"
    Then the status is 200
    And the JSON at "users.0.username" is "ann"
    And the JSON at "users.0.description" is "Salsa on Tuesdays"
    And the JSON at "users.0.current_goal" is "Spins"
    And the JSON at "users.0.last_login" is a timestamp
    And the JSON at "users.1.username" is "bob"
    And the JSON at "users.1.description" is ""
    And the JSON at "users.1.last_login" is ""

  Scenario: Without users the listing is empty
    Given I am logged in as the admin
    When I GET "/api/v1/admin/users"
    Then the status is 200
    And the JSON at "users" equals []
    And the JSON at "next_page_token" is ""

  Scenario: Users are listed in registration order, not by name
    Given users "zed, amy, max" registered with password "correct horse"
    And I am logged in as the admin
    When I GET every page of "/api/v1/admin/users"
    Then the pages listed the users "zed, amy, max" in order
    And the pages held "3" users

  Scenario: Two per page over five users is three pages
    Given users "ann, bob, cat, dan, eve" registered with password "correct horse"
    And I am logged in as the admin
    When I GET every page of "/api/v1/admin/users?page_size=2"
    Then the pages held "2, 2, 1" users
    And the pages listed the users "ann, bob, cat, dan, eve" in order
    And the JSON at "next_page_token" is ""

  Scenario: Paging is stable across repeated walks
    Given users "ann, bob, cat, dan, eve" registered with password "correct horse"
    And I am logged in as the admin
    When I GET every page of "/api/v1/admin/users?page_size=3"
    Then the pages listed the users "ann, bob, cat, dan, eve" in order
    When I GET every page of "/api/v1/admin/users?page_size=3"
    Then the pages held "3, 2" users
    And the pages listed the users "ann, bob, cat, dan, eve" in order

  Scenario: A page size over the cap is capped, not refused
    Given users "ann, bob, cat" registered with password "correct horse"
    And I am logged in as the admin
    When I GET every page of "/api/v1/admin/users?page_size=1000000"
    Then the pages listed the users "ann, bob, cat" in order

  Scenario: A garbage page token is refused, naming it
    Given users "ann, bob, cat" registered with password "correct horse"
    And I am logged in as the admin
    When I GET "/api/v1/admin/users?page_size=2&page_token=not-a-page-token"
    Then the status is 400
    And the error is "invalid_argument"
    And the error details name the field "page_token"

  # -- deleting ----------------------------------------------------------------

  Scenario: A deleted user can no longer log in
    Given users "ann, bob" registered with password "correct horse"
    And I am logged in as the admin
    When I send "DELETE" "/api/v1/admin/users/ann"
    Then the status is 204
    And the body is ""
    When I log in as "ann" with password "correct horse"
    Then the status is 401
    And the error is "invalid_credentials"
    When I log in as "bob" with password "correct horse"
    Then the status is 200

  Scenario: A deleted user's token stops working
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    And I remember the token as "ann"
    And I am logged in as the admin
    When I send "DELETE" "/api/v1/admin/users/ann"
    Then the status is 204
    When I use the token remembered as "ann"
    And I GET "/api/v1/users/me"
    Then the status is 401
    And the error is "unauthorized"

  Scenario: A deleted user's name stays taken
    Given a user "ann" registered with password "correct horse"
    And I am logged in as the admin
    When I send "DELETE" "/api/v1/admin/users/ann"
    Then the status is 204
    Given I send requests without a token
    When I POST "/api/v1/auth/register" with JSON
      """
      {"username": "ann", "password": "another pass"}
      """
    Then the status is 409
    And the error is "already_exists"
    When I log in as "ann" with password "another pass"
    Then the status is 401

  Scenario: Deleting an unknown user is not found
    Given I am logged in as the admin
    When I send "DELETE" "/api/v1/admin/users/nobody"
    Then the status is 404
    And the error is "not_found"

  # -- access ------------------------------------------------------------------

  Scenario Outline: A user token on an admin route is forbidden (<method> <path>)
    Given users "ann, bob" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    When I send "<method>" "<path>"
    Then the status is 403
    And the error is "forbidden"
    When I log in as "bob" with password "correct horse"
    Then the status is 200

    Examples:
      | method | path                                    |
      | GET    | /api/v1/admin/users                     |
      | POST   | /api/v1/admin/users/bob/password-reset  |
      | DELETE | /api/v1/admin/users/bob                 |

  Scenario Outline: An admin route without a token is unauthorized (<method> <path>)
    Given users "ann, bob" registered with password "correct horse"
    When I send "<method>" "<path>"
    Then the status is 401
    And the error is "unauthorized"
    When I log in as "bob" with password "correct horse"
    Then the status is 200

    Examples:
      | method | path                                    |
      | GET    | /api/v1/admin/users                     |
      | POST   | /api/v1/admin/users/bob/password-reset  |
      | DELETE | /api/v1/admin/users/bob                 |

  Scenario: A garbage token on an admin route is unauthorized
    Given the request header "Authorization" is "Bearer not.a.token"
    When I GET "/api/v1/admin/users"
    Then the status is 401
    And the error is "unauthorized"

  Scenario: Admin rights belong to the token, not to the client
    Given a user "ann" registered with password "correct horse"
    And I am logged in as the admin
    And I remember the token as "admin"
    And I am logged in as "ann" with password "correct horse"
    When I GET "/api/v1/admin/users"
    Then the status is 403
    When I use the token remembered as "admin"
    And I GET "/api/v1/admin/users"
    Then the status is 200
