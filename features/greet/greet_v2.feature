Feature: Greeting (v2)
  POST /api/v2/greet {"name"} answers {"message": "Hello my friend {name}!"},
  or "Hello my friend!" for an empty name, while api.v2_enabled is true;
  otherwise 404 not_found "v2 API is currently disabled".

  Scenario: Greets a friend
    Given the v2 API is enabled
    When I POST "/api/v2/greet" with JSON:
      """
      {"name": "bob"}
      """
    Then the status is 200
    And the content type is "application/json"
    And the JSON is:
      """
      {"message": "Hello my friend bob!"}
      """

  Scenario: Empty name
    Given the v2 API is enabled
    When I POST "/api/v2/greet" with JSON:
      """
      {"name": ""}
      """
    Then the status is 200
    And the JSON at "message" is "Hello my friend!"

  Scenario: No name at all
    Given the v2 API is enabled
    When I POST "/api/v2/greet" with JSON:
      """
      {}
      """
    Then the status is 200
    And the JSON at "message" is "Hello my friend!"

  Scenario: UTF-8 name
    Given the v2 API is enabled
    When I POST "/api/v2/greet" with JSON:
      """
      {"name": "Zoë"}
      """
    Then the status is 200
    And the JSON at "message" is "Hello my friend Zoë!"

  Scenario: Disabled by default
    When I POST "/api/v2/greet" with JSON:
      """
      {"name": "bob"}
      """
    Then the status is 404
    And the error is "not_found"
    And the error message is "v2 API is currently disabled"

  Scenario: Disabled explicitly
    Given the v2 API is disabled
    When I POST "/api/v2/greet" with JSON:
      """
      {"name": "bob"}
      """
    Then the status is 404
    And the JSON contains:
      """
      {"error": "not_found", "message": "v2 API is currently disabled"}
      """

  Scenario: Malformed JSON
    Given the v2 API is enabled
    When I send "POST" "/api/v2/greet" with content type "application/json" and the body:
      """
      {"name": "bob"
      """
    Then the status is 400
    And the error is "invalid_argument"

  Scenario: A body that is not a JSON object
    Given the v2 API is enabled
    When I send "POST" "/api/v2/greet" with body "["bob"]" and content type "application/json"
    Then the status is 400
    And the error is "invalid_argument"

  Scenario: Unknown field
    Given the v2 API is enabled
    When I POST "/api/v2/greet" with JSON:
      """
      {"name": "bob", "nickname": "bobby"}
      """
    Then the status is 400
    And the error is "invalid_argument"
    And the error details name the field "nickname"

  Scenario Outline: Wrong type for the name (<value>)
    Given the v2 API is enabled
    When I POST "/api/v2/greet" with JSON:
      """
      {"name": <value>}
      """
    Then the status is 400
    And the error is "invalid_argument"
    And the error details name the field "name"

    Examples:
      | value   |
      | 42      |
      | true    |
      | ["bob"] |
      | {}      |

  Scenario: Name too long
    Given the v2 API is enabled
    When I POST "/api/v2/greet" with the field "name" set to 101 "a" characters
    Then the status is 400
    And the error is "invalid_argument"
    And the error details name the field "name"

  Scenario: Wrong method
    Given the v2 API is enabled
    When I GET "/api/v2/greet"
    Then the status is 405
    And the response header "Allow" contains "POST"
