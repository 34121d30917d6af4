Feature: Greetings for signed-in users
  With a valid token, a greeting without a name addresses the user by
  username and mentions their current goal; greetings of signed-in users
  are kept, and the user reads them back newest first.

  Background:
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"

  Scenario: No name: the greeting addresses the user
    When I GET "/api/v1/greet"
    Then the status is 200
    And the JSON at "message" is "Hello ann!"

  Scenario: The current goal is mentioned once set
    When I PATCH "/api/v1/users/me" with JSON
      """
      {"current_goal": "a clean waltz box step"}
      """
    And I GET "/api/v1/greet"
    Then the JSON at "message" is "Hello ann! Your current goal: a clean waltz box step"

  Scenario: A name still wins over the username
    When I GET "/api/v1/greet/bob"
    Then the JSON at "message" is "Hello bob!"

  Scenario: Greetings are kept, newest first, page by page
    When I GET "/api/v1/greet/one"
    And I GET "/api/v1/greet/two"
    And I GET "/api/v1/greet/three"
    And I GET "/api/v1/greet/history?page_size=2"
    Then the status is 200
    And the JSON at "greetings.0.message" is "Hello three!"
    And the JSON at "greetings.1.message" is "Hello two!"
    And the JSON at "greetings.0.created_at" is a timestamp
    When I remember the JSON at "next_page_token" as "next"
    And I GET "/api/v1/greet/history?page_size=2" with the remembered "next" as "page_token"
    Then the status is 200
    And the JSON at "greetings.0.message" is "Hello one!"
    And the JSON at "next_page_token" is ""

  Scenario: Greetings without a token are not kept
    When I send "GET" "/api/v1/greet/ghost" without a token
    And I GET "/api/v1/greet/history"
    Then the status is 200
    And the JSON at "greetings" equals []

  Scenario: History needs a token
    When I send "GET" "/api/v1/greet/history" without a token
    Then the status is 401
    And the error is "unauthorized"

  Scenario: A token that does not verify is refused, not ignored
    Given the request header "Authorization" is "Bearer not.a.token"
    When I GET "/api/v1/greet/ann"
    Then the status is 401
    And the error is "unauthorized"
