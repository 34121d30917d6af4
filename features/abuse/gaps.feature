Feature: The smaller gaps stay closed
  GreetV2 shares the greet budget; an IPv6 client is one client per /64;
  the master password has a budget for everyone; a direct RPC caller that
  is not a trusted peer cannot choose its key (tests/protocol covers that
  one on the RPC port itself).

  Background:
    Given the configuration sets "ratelimit.enabled" to true
    And the configuration sets "server.trusted_proxies" to ["127.0.0.1"]

  Scenario: Greetings through v2 are limited like greetings
    Given rate limiting allows 60 greetings per minute with a burst of 10
    And the configuration sets "api.v2_enabled" to true
    When I POST "/api/v2/greet" 11 times with JSON:
      """
      {"name": "ann"}
      """
    Then the status is 429

  Scenario: Every address of an IPv6 /64 is one client
    Given rate limiting allows 60 greetings per minute with a burst of 2
    And the request header "X-Forwarded-For" is "2001:db8:1:2::1"
    When I GET "/api/v1/greet/ann" 2 times
    Given the request header "X-Forwarded-For" is "2001:db8:1:2:ffff:ffff:ffff:fffe"
    When I GET "/api/v1/greet/ann"
    Then the status is 429
    Given the request header "X-Forwarded-For" is "2001:db8:1:3::1"
    When I GET "/api/v1/greet/ann"
    Then the status is 200

  Scenario: Master-password guesses from many addresses meet one budget
    Given the admin master password is "the master password of this test"
    When 12 clients from as many addresses try the master password "a guess"
    Then at most 10 of them were answered 401 and the others 429
