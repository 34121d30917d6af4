Feature: Metrics and probes
  Both daemons expose Prometheus metrics: the gateway on its own port
  (GET /metrics), the core on its admin port (admin.listen), which also
  answers /livez and /readyz. A real Prometheus server scrapes both.

  Background:
    Given the RPC core serves its admin port

  Scenario: The core's admin port answers probes
    Then the admin port answers GET "/livez" with 200
    And the admin port answers GET "/readyz" with 200
    And the admin port answers GET "/metrics" with 200
    And the admin port answers GET "/nope" with 404
    And promtool accepts the metrics of both daemons

  Scenario: Prometheus scrapes both daemons
    Given a Prometheus server scrapes both daemons every second
    When I GET "/api/v1/greet/ann" 7 times
    Then Prometheus reports both daemons up
    And Prometheus reports dlc_http_requests_total{route="/api/v1/greet/{name}",method="GET",status="200"} at least 7
    And Prometheus reports dlc_rpc_calls_total{method="dlc.v1.GreetService/Greet",code="ok"} at least 7
    And Prometheus reports dlc_http_request_duration_seconds_count{route="/api/v1/greet/{name}"} at least 7
    And Prometheus reports dlc_build_info{job="dlc-rpcd"} at least 1
    And Prometheus reports process_resident_memory_bytes{job="dlc-gateway"} at least 1

  Scenario: The core is not ready without its database
    Given the database has been dropped
    Then the admin port answers GET "/readyz" with 503
    And the admin port answers GET "/livez" with 200

  Scenario: The core is not ready while it drains
    Given a GET "/api/ready" is held in flight by a database lock
    When the RPC core receives SIGTERM
    Then within 5 seconds the admin port answers GET "/readyz" with 503
    And the admin port answers GET "/livez" with 200
    When the database lock is released
    Then the held request gets an HTTP answer within 5 seconds
    And the RPC core exits with status 0 within 10 seconds
