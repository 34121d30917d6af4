Feature: Rate limiting of greetings
  GET /api/v1/greet is limited per client IP in the core (token bucket:
  ratelimit.requests_per_minute, refilled continuously, and
  ratelimit.burst_size at once). Over the limit: 429 rate_limited with
  Retry-After; limited answers carry RateLimit-Policy and RateLimit.
  Every gateway in front of the core shares the one budget.

  Scenario: A burst, then 429 with Retry-After
    Given rate limiting allows 60 greetings per minute with a burst of 3
    When I GET "/api/v1/greet/ann" 3 times
    Then all of them answered 200
    And the response header "RateLimit-Policy" is '"greet";q=60;w=60'
    And the response header "RateLimit" matches '^"greet";r=0;t=[1-3]$'
    When I GET "/api/v1/greet/ann"
    Then the status is 429
    And the error is "rate_limited"
    And the response header "Retry-After" is "1"
    And the response header "RateLimit" is '"greet";r=0;t=1'

  Scenario: The bucket refills
    Given rate limiting allows 60 greetings per minute with a burst of 2
    When I GET "/api/v1/greet/ann" 3 times
    Then the status is 429
    And within 3 seconds GET "/api/v1/greet/ann" answers 200

  Scenario: Two client IPs behind a trusted proxy are limited independently
    Given rate limiting allows 1 greetings per minute with a burst of 2
    And the configuration sets "server.trusted_proxies" to ["127.0.0.1"]
    And the request header "X-Forwarded-For" is "203.0.113.1"
    When I GET "/api/v1/greet/ann" 3 times
    Then the status is 429
    Given the request header "X-Forwarded-For" is "203.0.113.2"
    When I GET "/api/v1/greet/ann" 2 times
    Then all of them answered 200

  Scenario: Two gateways in front of one core share one budget
    Given rate limiting allows 1 greetings per minute with a burst of 4
    And a second gateway in front of the same core
    When 6 requests GET "/api/v1/greet/ann" at 20 per second through gateways "1,2"
    Then 4 of them answered 200
    And 2 of them answered 429

  # One token per 10 s: the 2.5 s load sees no refill however the machine
  # schedules it, so the counts are exact, not timing-dependent.
  Scenario Outline: 20 requests/s from one IP get as many 429s over <gateways> gateway(s) as over one
    Given rate limiting allows 6 greetings per minute with a burst of 5
    And a second gateway in front of the same core
    When 50 requests GET "/api/v1/greet/ann" at 20 per second through gateways "<list>"
    Then 5 of them answered 200
    And 45 of them answered 429

    Examples:
      | gateways | list |
      | 1        | 1    |
      | 2        | 1,2  |

  Scenario: Limits off
    Given the configuration sets "ratelimit.enabled" to false
    When I GET "/api/v1/greet/ann" 30 times
    Then all of them answered 200
    And the response header "RateLimit" is absent

  Scenario: With the postgres store, two cores share one budget
    Given rate limiting allows 1 greetings per minute with a burst of 4
    And the configuration sets "ratelimit.store" to "postgres"
    And a second core with its own gateway on the same database
    When 6 requests GET "/api/v1/greet/ann" at 20 per second through gateways "1,2"
    Then 4 of them answered 200
    And 2 of them answered 429
    And the response header "Retry-After" matches "^[0-9]+$"

  Scenario: With the memory store (the default), each core has a budget of its own
    Given rate limiting allows 1 greetings per minute with a burst of 2
    And a second core with its own gateway on the same database
    When 6 requests GET "/api/v1/greet/ann" at 20 per second through gateways "1,2"
    Then 4 of them answered 200
    And 2 of them answered 429

  Scenario: Greetings of v2 share the greet budget
    Given rate limiting allows 60 greetings per minute with a burst of 2
    And the configuration sets "api.v2_enabled" to true
    When I GET "/api/v1/greet/ann"
    And I POST "/api/v2/greet" with JSON:
      """
      {"name": "ann"}
      """
    Then the status is 200
    When I POST "/api/v2/greet" with JSON:
      """
      {"name": "ann"}
      """
    Then the status is 429
