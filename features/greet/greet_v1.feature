Feature: Greeting (v1)
  GET /api/v1/greet/{name}, /api/v1/greet?name= and /api/v1/greet answer
  {"message": "Hello {name}!"}, or "Hello world!" without a name. A name is
  at most 100 characters of printable UTF-8.

  Scenario: Name in the path
    When I GET "/api/v1/greet/ann"
    Then the status is 200
    And the content type is "application/json"
    And the JSON is:
      """
      {"message": "Hello ann!"}
      """

  Scenario: Name in the query
    When I GET "/api/v1/greet?name=ann"
    Then the status is 200
    And the JSON at "message" is "Hello ann!"

  Scenario: No name
    When I GET "/api/v1/greet"
    Then the status is 200
    And the JSON at "message" is "Hello world!"

  Scenario: Empty name in the query
    When I GET "/api/v1/greet?name="
    Then the status is 200
    And the JSON at "message" is "Hello world!"

  Scenario: The path binds the name; a query parameter cannot override it
    # google.api.http: fields bound by the path are not query parameters.
    When I GET "/api/v1/greet/ann?name=bob"
    Then the status is 200
    And the JSON at "message" is "Hello ann!"

  Scenario: Query parameters that name no field are ignored
    # Existing clients add their own (cache busters, tracking); they keep working.
    When I GET "/api/v1/greet?name=ann&_=1700000000"
    Then the status is 200
    And the JSON at "message" is "Hello ann!"

  Scenario: A query parameter of the wrong type is refused
    When I GET "/api/v1/greet?name=ann&name.x=1"
    Then the status is 400
    And the error is "invalid_argument"

  Scenario: Name with a space, percent-encoded in the path
    When I GET "/api/v1/greet/" followed by the percent-encoded "ann lee"
    Then the status is 200
    And the JSON at "message" is "Hello ann lee!"

  Scenario: Name with a space, percent-encoded in the query
    When I GET "/api/v1/greet?name=" followed by the percent-encoded "ann lee"
    Then the status is 200
    And the JSON at "message" is "Hello ann lee!"

  Scenario: Plus in the query is a space (form encoding, as the original service decoded it)
    When I GET "/api/v1/greet?name=ann+lee"
    Then the status is 200
    And the JSON at "message" is "Hello ann lee!"

  Scenario Outline: UTF-8 names (<name>)
    When I GET "/api/v1/greet/" followed by the percent-encoded "<name>"
    Then the status is 200
    And the JSON at "message" is "Hello <name>!"

    Examples:
      | name            |
      | José            |
      | Zoë Ångström    |
      | 李小龍           |
      | 🕺 dancer        |

  Scenario: Percent-encoded slash stays inside the name
    When I GET "/api/v1/greet/a%2Fb"
    Then the status is 200
    And the JSON at "message" is "Hello a/b!"

  Scenario: 100 characters is the limit
    When I GET "/api/v1/greet/" followed by 100 "a" characters
    Then the status is 200
    And the JSON at "message" has 107 characters

  Scenario: The limit counts characters, not bytes
    When I GET "/api/v1/greet/" followed by 100 "é" characters
    Then the status is 200
    And the JSON at "message" has 107 characters

  Scenario: 101 characters is too long
    When I GET "/api/v1/greet/" followed by 101 "a" characters
    Then the status is 400
    And the error is "invalid_argument"
    And the error details name the field "name"
    And the response header "X-Request-ID" is present

  Scenario: Too long in the query too
    When I GET "/api/v1/greet?name=" followed by 101 "a" characters
    Then the status is 400
    And the error is "invalid_argument"
    And the error details name the field "name"

  Scenario Outline: Names that are not printable UTF-8 (<what>)
    When I GET "/api/v1/greet/<encoded>"
    Then the status is 400
    And the error is "invalid_argument"
    And the error details name the field "name"

    Examples:
      | what              | encoded  |
      | invalid UTF-8     | a%FFb    |
      | a control char    | a%07b    |
      | a newline         | a%0Ab    |
      | overlong encoding | %C0%AF   |

  Scenario: Invalid percent-encoding
    When I GET "/api/v1/greet/a%zzb"
    Then the status is 400
    And the error is "invalid_argument"

  Scenario: Wrong method
    When I send "POST" "/api/v1/greet/ann"
    Then the status is 405
    And the response header "Allow" contains "GET"
