Feature: Tokens can be taken back
  A user's tokens issued before their last password change or reset, before
  an admin revoked them, or before the user was deleted are refused with
  401 unauthorized. Tokens of the master password are refused once an admin
  revokes them all (POST /api/v1/admin/revoke-admin-tokens) or the master
  password changes. Tokens issued afterwards work.

  Background:
    Given the admin master password is "admin-master-secret"
    And a user "ann" registered with password "correct horse"

  Scenario: A password change revokes the tokens issued before it
    Given I am logged in as "ann" with password "correct horse"
    And I remember the token as "before"
    When I POST "/api/v1/users/me/password" with JSON
      """
      {"current_password": "correct horse", "new_password": "battery staple"}
      """
    Then the status is 204
    When I GET "/api/v1/users/me"
    Then the status is 401
    And the error is "unauthorized"
    Given I am logged in as "ann" with password "battery staple"
    When I GET "/api/v1/users/me"
    Then the status is 200

  Scenario: An admin revokes every token of a user
    Given a user "bob" registered with password "bob's password"
    And I am logged in as "bob" with password "bob's password"
    And I remember the token as "bob"
    And I am logged in as "ann" with password "correct horse"
    And I remember the token as "ann"
    And I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/revoke-tokens"
    Then the status is 204
    And the body is ""
    When I use the token remembered as "ann"
    And I GET "/api/v1/users/me"
    Then the status is 401
    And the error is "unauthorized"
    When I use the token remembered as "bob"
    And I GET "/api/v1/users/me"
    Then the status is 200
    Given I am logged in as "ann" with password "correct horse"
    When I GET "/api/v1/users/me"
    Then the status is 200

  Scenario: Revoking the tokens of an unknown user is not found
    Given I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/nobody/revoke-tokens"
    Then the status is 404
    And the error is "not_found"

  Scenario: Only admins revoke tokens
    Given I am logged in as "ann" with password "correct horse"
    When I send "POST" "/api/v1/admin/users/ann/revoke-tokens"
    Then the status is 403
    And the error is "forbidden"
    When I send "POST" "/api/v1/admin/revoke-admin-tokens"
    Then the status is 403

  Scenario: A revocation reaches every core at once, though they cache who a token names
    Given I am logged in as "ann" with password "correct horse"
    And I remember the token as "ann"
    And a second core with its own gateway on the same database
    When I use gateway 2
    And I GET "/api/v1/users/me"
    Then the status is 200
    Given I use gateway 1
    And I am logged in as the admin
    When I send "POST" "/api/v1/admin/users/ann/revoke-tokens"
    Then the status is 204
    When I use gateway 2
    And I use the token remembered as "ann"
    Then within 5 seconds GET "/api/v1/users/me" answers 401

  Scenario: An admin revokes every master-password token
    Given I am logged in as the admin
    And I remember the token as "old_admin"
    When I send "POST" "/api/v1/admin/revoke-admin-tokens"
    Then the status is 204
    When I GET "/api/v1/admin/users"
    Then the status is 401
    And the error is "unauthorized"
    Given I am logged in as the admin
    When I GET "/api/v1/admin/users"
    Then the status is 200

  Scenario: A new master password revokes the tokens of the old one
    Given both daemons run with config generation 1
    And I am logged in as the admin
    When the config file is edited to set "auth.admin_master_password" to "a new master secret"
    Then within 5 seconds GET "/api/v1/admin/users" answers 401
    When I POST "/api/v1/auth/admin/login" with JSON
      """
      {"master_password": "admin-master-secret"}
      """
    Then the status is 401
    When I POST "/api/v1/auth/admin/login" with JSON
      """
      {"master_password": "a new master secret"}
      """
    Then the status is 200

  Scenario: A core restarted with another master password revokes the old tokens
    Given I am logged in as the admin
    And the admin master password is "a new master secret"
    When I GET "/api/v1/admin/users"
    Then the status is 401
    And the error is "unauthorized"
