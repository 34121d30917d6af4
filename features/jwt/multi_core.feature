Feature: Signing secrets shared by several cores
  Every core reads the keyring from the database and reloads it on NOTIFY,
  so a rotation made through one core is honoured by all of them at once.

  Scenario: A rotation through one core is honoured by a second core
    Given I am logged in as the admin
    And a second core with its own gateway on the same database
    When I remember the token as "old"
    And I POST "/api/v1/admin/jwt/secrets/rotate" with JSON
      """
      {}
      """
    Then the status is 200
    When I remember the JSON at "kid" as "new_kid"
    And I use gateway 2
    Then within 2 seconds an admin login is signed with the remembered "new_kid"
    When I use the token remembered as "old"
    And I GET "/api/v1/admin/jwt/secrets"
    Then the status is 200
    And the JSON at "count" equals 2

  Scenario: Rotations while two gateways serve traffic cause no 401
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    And I remember the token as "ann"
    # Before the replicas: setting the master password restarts the stack
    # (ann's token survives: signing keys live in the database).
    And I am logged in as the admin
    And a second core with its own gateway on the same database
    And a second gateway in front of the same core
    Then 5 rotations while 2 clients per gateway GET "/api/v1/users/me" with the token remembered as "ann" cause no 401
