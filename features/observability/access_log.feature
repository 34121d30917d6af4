Feature: Access logs
  The gateway logs one "http" line per request and the core one "rpc" line
  per call, at info, with numbers as JSON numbers; logging.access (hot
  reloadable) turns both off.

  Scenario: A request is logged by both daemons
    Given the request header "traceparent" is "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    When I GET "/api/v1/greet/ann"
    Then the status is 200
    And the gateway logged an access line for "/api/v1/greet/{name}" with status 200
    And its trace_id is "4bf92f3577b34da6a3ce929d0e0e4736"
    And the RPC core logged an access line for "dlc.v1.GreetService/Greet" with code "ok"

  Scenario: Access logs are turned off without a restart
    Given both daemons run with config generation 1
    When the config file is edited to set "logging.access" to false
    And I GET "/api/v1/greet/ann"
    Then the status is 200
    And the gateway logged no access line after the reload
    And the RPC core logged no access line after the reload

  Scenario: The user a token names is logged, and is no response header
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    When I GET "/api/v1/users/me"
    Then the status is 200
    And the response header "X-User-Id" is absent
    And the gateway logged an access line for "/api/v1/users/me" with status 200
    And its user_id is the JSON at "id"
