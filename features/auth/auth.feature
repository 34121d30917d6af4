Feature: Registration and login
  Users register with a username and password and log in for a JWT;
  an administrator logs in with the master password.

  Scenario: Successful login gives a valid JWT
    Given a user "ann" registered with password "correct horse"
    When I log in as "ann" with password "correct horse"
    Then the status is 200
    And the JSON at "token_type" is "Bearer"
    And the JSON at "expires_in" equals 3600
    And the JSON at "expires_at" is a timestamp
    And the token is signed with HS256 and names its key
    And the token has the claims "sub, username, is_admin, iss, aud, iat, nbf, exp, jti"
    And the token claim "username" equals "ann"
    And the token claim "is_admin" equals false
    And the token claim "iss" equals "dlc"
    And the response header "Cache-Control" is "no-store"

  Scenario: A wrong password is refused
    Given a user "ann" registered with password "correct horse"
    When I log in as "ann" with password "wrong horse!"
    Then the status is 401
    And the error is "invalid_credentials"

  Scenario: An unknown user gets exactly the same answer as a wrong password
    Given a user "ann" registered with password "correct horse"
    When I log in as "nobody" with password "correct horse"
    Then the status is 401
    And the JSON is
      """
      {"error": "invalid_credentials", "message": "invalid username or password"}
      """

  Scenario: Passwords are compared exactly as given
    Given a user "ann" registered with password "correct horse"
    When I log in as "ann" with password "correct horse "
    Then the status is 401

  Scenario: Usernames are not case-sensitive at login
    Given a user "Ann" registered with password "correct horse"
    When I log in as "ann" with password "correct horse"
    Then the status is 200
    And the token claim "username" equals "Ann"

  Scenario: Registration, then login with the new credentials
    When I POST "/api/v1/auth/register" with JSON
      """
      {"username": "bob42", "password": "s3cret-pass"}
      """
    Then the status is 201
    And the JSON has keys "id, username, created_at"
    And the JSON at "username" is "bob42"
    And the JSON at "created_at" is a timestamp
    When I log in as "bob42" with password "s3cret-pass"
    Then the status is 200

  Scenario: A taken username is refused, whatever its case
    Given a user "carol" registered with password "correct horse"
    When I POST "/api/v1/auth/register" with JSON
      """
      {"username": "CAROL", "password": "another pass"}
      """
    Then the status is 409
    And the error is "already_exists"
    And the error details name the field "username"

  Scenario Outline: Registration validates username and password
    When I POST "/api/v1/auth/register" with JSON
      """
      {"username": "<username>", "password": "<password>"}
      """
    Then the status is 400
    And the error is "invalid_argument"
    And the error details name the field "<field>"

    Examples:
      | username  | password      | field    |
      | ab        | long enough   | username |
      | has space | long enough   | username |
      | dash-name | long enough   | username |
      | dave      | short         | password |

  Scenario: Admin login with the master password gives admin claims
    Given the admin master password is "admin-master-secret"
    When I POST "/api/v1/auth/admin/login" with JSON
      """
      {"master_password": "admin-master-secret"}
      """
    Then the status is 200
    And the token claim "is_admin" equals true
    And the token claim "sub" equals "admin"
    And the response header "Cache-Control" is "no-store"

  Scenario: The master password can come from a file (a container secret)
    Given the file "master.txt" holds "a master password kept in a file"
    And "auth.admin_master_password_file" names the file "master.txt"
    When I POST "/api/v1/auth/admin/login" with JSON
      """
      {"master_password": "a master password kept in a file"}
      """
    Then the status is 200
    And the token claim "is_admin" equals true

  Scenario: A wrong master password is refused
    Given the admin master password is "admin-master-secret"
    When I POST "/api/v1/auth/admin/login" with JSON
      """
      {"master_password": "guess"}
      """
    Then the status is 401
    And the error is "invalid_credentials"

  Scenario: Admin login is disabled without a configured master password
    When I POST "/api/v1/auth/admin/login" with JSON
      """
      {"master_password": ""}
      """
    Then the status is 401

  Scenario: A password reset nobody allowed is refused, for unknown users alike
    Given a user "erin" registered with password "correct horse"
    When I POST "/api/v1/auth/password-reset" with JSON
      """
      {"username": "erin", "reset_code": "AAAAAAAAAAAAAAAAAAAAAAAA", "new_password": "new password"}
      """
    Then the status is 403
    And the error is "password_reset_not_allowed"
    When I POST "/api/v1/auth/password-reset" with JSON
      """
      {"username": "nobody", "reset_code": "AAAAAAAAAAAAAAAAAAAAAAAA", "new_password": "new password"}
      """
    Then the status is 403
    And the error is "password_reset_not_allowed"
    When I log in as "erin" with password "correct horse"
    Then the status is 200
