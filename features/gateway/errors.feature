Feature: Gateway errors, limits and request ids
  The gateway owns HTTP: routing, body limits, status mapping (google.rpc),
  X-Request-ID. REST errors look like {"error", "message", "details"};
  direct RPC errors follow Connect: {"code", "message"}.

  Scenario: Unknown route
    When I GET "/api/nope"
    Then the status is 404
    And the content type is "application/json"
    And the error is "not_found"
    And the JSON at "message" is a string

  Scenario: Unknown route under a known prefix
    When I GET "/api/v1/greet/ann/extra"
    Then the status is 404
    And the error is "not_found"

  Scenario Outline: Wrong method (<method> <path>)
    When I send "<method>" "<path>"
    Then the status is 405
    And the response header "Allow" contains "<allowed>"

    Examples:
      | method | path              | allowed |
      | DELETE | /api/health       | GET     |
      | PUT    | /api/v1/greet/ann | GET     |
      | GET    | /api/v2/greet     | POST    |

  Scenario: HEAD is answered like GET, without a body
    # RFC 9110 §9.1: general-purpose servers must support GET and HEAD.
    When I send "HEAD" "/api/health"
    Then the status is 200
    And the content type is "application/json"
    And the body is ""

  Scenario: A body that is not JSON
    Given the v2 API is enabled
    When I send "POST" "/api/v2/greet" with body "name=bob" and content type "text/plain"
    Then the status is 415

  Scenario: The client's request id is echoed
    Given the request header "X-Request-ID" is "bdd-req-42"
    When I GET "/api/health"
    Then the response header "X-Request-ID" is "bdd-req-42"

  Scenario: The client's request id is echoed on errors too
    Given the request header "X-Request-ID" is "bdd-req-43"
    When I GET "/api/nope"
    Then the status is 404
    And the response header "X-Request-ID" is "bdd-req-43"

  Scenario: A request id is generated when the client sends none, a new one each time
    When I GET "/api/v1/greet/ann"
    Then the response header "X-Request-ID" is present
    When I remember the response header "X-Request-ID" as "first"
    And I GET "/api/v1/greet/ann"
    Then the response header "X-Request-ID" is present
    And the response header "X-Request-ID" differs from the remembered "first"

  Scenario: A body at the limit is read
    Given the maximum body size is 1024 bytes
    When I send a body of 1024 bytes to "/rpc/dlc.v1.GreetService/Greet"
    # {"name":"aaa…"} of 1024 bytes: accepted by the gateway, then the name is too long
    Then the status is 400
    And the RPC error code is "invalid_argument"

  Scenario: A body over the limit is refused
    Given the maximum body size is 1024 bytes
    When I send a body of 1025 bytes to "/rpc/dlc.v1.GreetService/Greet"
    Then the status is 413
    And the response header "X-Request-ID" is present

  Scenario: A REST body over the limit is refused
    Given the v2 API is enabled
    And the maximum body size is 1024 bytes
    When I send a body of 4096 bytes to "/api/v2/greet"
    Then the status is 413

  Scenario: The default limit is 64 KiB
    When I send a body of 65537 bytes to "/rpc/dlc.v1.GreetService/Greet"
    Then the status is 413

  Scenario: Core down
    Given the RPC core is stopped
    When I GET "/api/v1/greet/ann"
    Then the status is 503
    And the error is "unavailable"
    And the response header "X-Request-ID" is present

  Scenario: Direct RPC
    When I POST "/rpc/dlc.v1.GreetService/Greet" with JSON:
      """
      {"name": "ann"}
      """
    Then the status is 200
    And the content type is "application/json"
    And the JSON is:
      """
      {"message": "Hello ann!"}
      """

  Scenario: Direct RPC to a method without a REST route of its own
    When I POST "/rpc/dlc.v1.SystemService/Check" with JSON:
      """
      {"service": ""}
      """
    Then the status is 200
    And the JSON at "status" is "SERVING"

  Scenario: Direct RPC error
    When I POST "/rpc/dlc.v1.GreetService/Greet" with the field "name" set to 101 "a" characters
    Then the status is 400
    And the RPC error code is "invalid_argument"
    And the JSON at "message" is a string

  Scenario: Direct RPC respects api.v2_enabled
    When I POST "/rpc/dlc.v1.GreetService/GreetV2" with JSON:
      """
      {"name": "bob"}
      """
    Then the status is 404
    And the RPC error code is "not_found"
    And the JSON at "message" is "v2 API is currently disabled"

  Scenario Outline: Direct RPC to an unknown method (<path>)
    # UNIMPLEMENTED maps to 501 (google.rpc and Connect agree).
    When I POST "<path>" with JSON:
      """
      {}
      """
    Then the status is 501
    And the RPC error code is "unimplemented"

    Examples:
      | path                                |
      | /rpc/dlc.v1.GreetService/Nope       |
      | /rpc/dlc.v1.NoSuchService/Greet     |

  Scenario: Direct RPC with malformed JSON
    When I send "POST" "/rpc/dlc.v1.GreetService/Greet" with content type "application/json" and the body:
      """
      {"name":
      """
    Then the status is 400
    And the RPC error code is "invalid_argument"

  Scenario: Direct RPC when the core is down
    Given the RPC core is stopped
    When I POST "/rpc/dlc.v1.GreetService/Greet" with JSON:
      """
      {"name": "ann"}
      """
    Then the status is 503
    And the RPC error code is "unavailable"

  Scenario: JSON nested thousands of levels deep is refused, and the gateway lives on
    Given the v2 API is enabled
    When I POST "/api/v2/greet" with a JSON body nested 5000 levels deep
    Then the status is 400
    And the error is "invalid_argument"
    When I GET "/api/health"
    Then the status is 200

  Scenario: An error that echoes many multi-byte characters still has its body
    When I POST "/rpc/dlc.v1.SystemService/Check" with the field "service" set to 40 "€" characters
    Then the status is 404
    And the content type is "application/json"
    And the JSON at "message" matches "^unknown service"

  Scenario: Every answer forbids content sniffing
    When I GET "/api/health"
    Then the response header "X-Content-Type-Options" is "nosniff"
    When I GET "/api/v1/no/such/route"
    Then the response header "X-Content-Type-Options" is "nosniff"
