Feature: JWT secret rotation
  Admins list signing secrets by fingerprint, add secrets and rotate the
  primary; tokens signed by a retired primary stay valid for its retention.

  Background:
    Given I am logged in as the admin

  Scenario: Secrets are listed by fingerprint, never by value
    When I GET "/api/v1/admin/jwt/secrets"
    Then the status is 200
    And the JSON at "count" equals 1
    And the JSON at "secrets.0" has keys "kid, is_primary, created_at_unix, expires_at_unix, age_seconds, is_expired, secret_sha256"
    And the JSON at "secrets.0.is_primary" equals true
    And the JSON at "secrets.0.secret_sha256" matches "^[0-9a-f]{16}$"
    And no secret value is shown

  Scenario: Rotation keeps old tokens valid while new ones use the new primary
    When I remember the token as "old"
    And I POST "/api/v1/admin/jwt/secrets/rotate" with JSON
      """
      {}
      """
    Then the status is 200
    And the JSON at "is_primary" equals true
    When I remember the JSON at "kid" as "new_kid"
    Then within 2 seconds an admin login is signed with the remembered "new_kid"
    When I use the token remembered as "old"
    And I GET "/api/v1/admin/jwt/secrets"
    Then the status is 200
    And the JSON at "count" equals 2

  Scenario: The retired primary expires after ttl × retention_factor (1h × 2.0)
    When I POST "/api/v1/admin/jwt/secrets/rotate" with JSON
      """
      {"new_secret": "a-brand-new-secret-of-at-least-32-bytes"}
      """
    And I GET "/api/v1/admin/jwt/secrets"
    Then the JSON at "secrets.0.is_primary" equals false
    And the retired secret expires 7200 seconds after the rotation

  Scenario: Short secrets are refused
    When I POST "/api/v1/admin/jwt/secrets" with JSON
      """
      {"secret": "too-short", "is_primary": false, "expires_in": 0}
      """
    Then the status is 400
    And the error details name the field "secret"

  Scenario: A secondary secret is added
    When I POST "/api/v1/admin/jwt/secrets" with JSON
      """
      {"secret": "another-secret-of-at-least-32-bytes!!", "is_primary": false, "expires_in": 600}
      """
    Then the status is 201
    And the JSON at "is_primary" equals false
    And the JSON at "is_expired" equals false

  Scenario: A 17th live secret is refused; the primary keeps signing
    When I POST "/api/v1/admin/jwt/secrets" 15 times with JSON:
      """
      {"secret": "another-secret-of-at-least-32-bytes!!", "is_primary": false, "expires_in": 600}
      """
    Then the status is 201
    When I POST "/api/v1/admin/jwt/secrets" with JSON
      """
      {"secret": "one-secret-too-many-of-at-least-32-bytes", "is_primary": false}
      """
    Then the status is 409
    And the error is "too_many_secrets"
    When I GET "/api/v1/admin/jwt/secrets"
    Then the JSON at "count" equals 16

  Scenario: Users cannot manage secrets
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    When I GET "/api/v1/admin/jwt/secrets"
    Then the status is 403
    And the error is "forbidden"
