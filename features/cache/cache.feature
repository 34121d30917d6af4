Feature: Response cache
  The core caches anonymous greetings per name and the service information,
  marks answers X-Cache: HIT or MISS, never serves a personalised greeting
  from the cache, and empties the cache of every core on an admin flush.

  Scenario: A miss, then a hit
    When I GET "/api/v1/greet/zoe"
    Then the status is 200
    And the response header "X-Cache" is "MISS"
    When I GET "/api/v1/greet/zoe"
    Then the response header "X-Cache" is "HIT"
    And the JSON at "message" is "Hello zoe!"
    When I GET "/api/info"
    And I GET "/api/info"
    Then the response header "X-Cache" is "HIT"

  Scenario: Personalised greetings are never served from the cache
    Given a user "ann" registered with password "correct horse"
    And I am logged in as "ann" with password "correct horse"
    When I GET "/api/v1/greet"
    Then the JSON at "message" is "Hello ann!"
    And the response header "X-Cache" is absent
    When I send requests without a token
    And I GET "/api/v1/greet"
    Then the JSON at "message" is "Hello world!"
    And the response header "X-Cache" is "MISS"

  Scenario: The master password flushes the cache
    Given the admin master password is "the master password of this test"
    When I GET "/api/v1/greet/zoe" 2 times
    Then the response header "X-Cache" is "HIT"
    Given the request header "X-Admin-Password" is "the master password of this test"
    When I send "POST" "/api/admin/cache/flush"
    Then the status is 200
    And the JSON has keys "flushed, items_flushed, timestamp"
    And the JSON at "flushed" equals true
    And the JSON at "items_flushed" is greater than 0
    And the JSON at "timestamp" is a timestamp
    When I GET "/api/v1/greet/zoe"
    Then the response header "X-Cache" is "MISS"

  Scenario: An admin token flushes too; others get 401 or 403
    Given a user "ann" registered with password "correct horse"
    When I send "POST" "/api/admin/cache/flush"
    Then the status is 401
    Given the request header "X-Admin-Password" is "not the password"
    When I send "POST" "/api/admin/cache/flush"
    Then the status is 401
    Given I am logged in as "ann" with password "correct horse"
    When I send "POST" "/api/admin/cache/flush"
    Then the status is 403
    Given I am logged in as the admin
    When I send "POST" "/api/admin/cache/flush"
    Then the status is 200

  Scenario: A flush reaches every core
    Given the admin master password is "the master password of this test"
    And a second core with its own gateway on the same database
    And I use gateway 2
    When I GET "/api/v1/greet/zoe" 2 times
    Then the response header "X-Cache" is "HIT"
    Given I use gateway 1
    And the request header "X-Admin-Password" is "the master password of this test"
    When I send "POST" "/api/admin/cache/flush"
    Then the status is 200
    Given I use gateway 2
    Then within 2 seconds GET "/api/v1/greet/zoe" answers with X-Cache "MISS"

  Scenario: Cache disabled
    Given the configuration sets "cache.enabled" to false
    And the admin master password is "the master password of this test"
    When I GET "/api/v1/greet/zoe" 2 times
    Then the response header "X-Cache" is absent
    Given the request header "X-Admin-Password" is "the master password of this test"
    When I send "POST" "/api/admin/cache/flush"
    Then the status is 503
    And the error is "cache_disabled"
    When I GET "/api/info"
    Then the JSON at "cache_enabled" equals false
