Feature: JWT secret retention and cleanup
  A rotated-out primary stays valid for min(ttl × retention_factor,
  max_retention); expired secondaries stop verifying at once and the cleanup
  loop removes them, never the primary.

  Scenario Outline: The retired primary is kept for min(ttl × factor, max_retention)
    Given the configuration sets "auth.jwt.ttl" to "<ttl>"
    And the configuration sets "auth.jwt.secret_retention.retention_factor" to <factor>
    And I am logged in as the admin
    When I POST "/api/v1/admin/jwt/secrets/rotate" with JSON
      """
      {}
      """
    And I GET "/api/v1/admin/jwt/secrets"
    Then the retired secret expires <seconds> seconds after the rotation

    Examples:
      | ttl | factor | seconds |
      | 24h | 2.0    | 172800  |
      | 2h  | 3.0    | 21600   |
      | 72h | 3.0    | 259200  |

  Scenario: A token signed by an expired secondary is rejected
    Given I am logged in as the admin
    When I POST "/api/v1/admin/jwt/secrets" with JSON
      """
      {"secret": "secondary-secret-of-at-least-32-bytes", "is_primary": false, "expires_in": 4}
      """
    Then the status is 201
    When I remember the JSON at "kid" as "secondary"
    And I use a copy of my token signed with "secondary-secret-of-at-least-32-bytes" under the remembered kid "secondary"
    # the new key reaches the keyring through NOTIFY: polled, not assumed
    Then within 3 seconds GET "/api/v1/admin/jwt/secrets" answers 200
    And within 8 seconds GET "/api/v1/admin/jwt/secrets" answers 401
    And the error message is "invalid token (unknown_kid)"

  Scenario: A token signed by an unknown secret is rejected
    Given I am logged in as the admin
    When I POST "/api/v1/admin/jwt/secrets" with JSON
      """
      {"secret": "secondary-secret-of-at-least-32-bytes", "is_primary": false, "expires_in": 600}
      """
    And I remember the JSON at "kid" as "secondary"
    And I use a copy of my token signed with "not-the-secret-but-also-32-bytes-long" under the remembered kid "secondary"
    And I GET "/api/v1/admin/jwt/secrets"
    Then the status is 401

  Scenario: Cleanup removes expired secondaries and keeps the primary
    Given the configuration sets "auth.jwt.secret_retention.cleanup_interval" to "1s"
    And I am logged in as the admin
    When I POST "/api/v1/admin/jwt/secrets" with JSON
      """
      {"secret": "secondary-secret-of-at-least-32-bytes", "is_primary": false, "expires_in": 1}
      """
    And I remember the JSON at "kid" as "secondary"
    Then within 10 seconds the secret remembered as "secondary" is no longer listed
    And the JSON at "count" equals 1
    And the JSON at "secrets.0.is_primary" equals true
    And the RPC core logged "expired jwt secret removed"
