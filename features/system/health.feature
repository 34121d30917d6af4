Feature: Health, liveness and readiness
  Load balancers and orchestrators probe the gateway: /api/health says the
  process is alive, /api/healthz adds version and uptime, /api/ready says
  whether requests can be served right now (core reachable, database healthy).

  Scenario: Liveness
    When I GET "/api/health"
    Then the status is 200
    And the content type is "application/json"
    And the JSON is:
      """
      {"status": "healthy"}
      """

  Scenario: Detailed health
    When I GET "/api/healthz"
    Then the status is 200
    And the JSON at "status" is "healthy"
    And the JSON at "version" is "${version}"
    And the JSON at "uptime_seconds" is a non-negative integer
    And the JSON at "timestamp" is a timestamp

  Scenario: Ready when the core and the database are healthy
    When I GET "/api/ready"
    Then the status is 200
    And the content type is "application/json"
    And the JSON contains:
      """
      {"ready": true,
       "connections": {"rpc": {"status": "healthy"}, "database": {"status": "healthy"}}}
      """

  Scenario: Not ready without the core
    Given the RPC core is stopped
    When I GET "/api/ready"
    Then the status is 503
    And the JSON contains:
      """
      {"ready": false, "reason": "rpc_unavailable"}
      """
    And the JSON at "connections.rpc.status" is "unhealthy"

  Scenario: Liveness does not depend on the core
    # A liveness probe that failed with a dependency would make the
    # orchestrator restart healthy gateways during a core outage.
    Given the RPC core is stopped
    When I GET "/api/health"
    Then the status is 200
    And the JSON at "status" is "healthy"

  Scenario: Not ready while the database is down
    Given the database has been dropped
    Then within 5 seconds GET "/api/ready" answers 503
    And the JSON contains:
      """
      {"ready": false, "reason": "database_unhealthy",
       "connections": {"rpc": {"status": "healthy"}, "database": {"status": "unhealthy"}}}
      """
    And the JSON at "connections.database.error" is a non-empty string

  Scenario: On SIGTERM readiness turns false at once and requests in flight complete
    Given the gateway is ready
    And a GET "/api/ready" is held in flight by a database lock
    When the gateway receives SIGTERM
    Then within 2 seconds GET "/api/ready" answers 503
    And the JSON at "reason" is "shutting_down"
    When the database lock is released
    Then the held request gets an HTTP answer within 5 seconds
    And the gateway exits with status 0 within 10 seconds

  Scenario: Without requests in flight the gateway exits at once on SIGTERM
    Given the gateway is ready
    When the gateway receives SIGTERM
    Then the gateway exits with status 0 within 2 seconds
