Feature: Tracing (W3C Trace Context, OTLP export)
  The gateway continues a client's valid `traceparent` or starts a new
  trace, makes a span of its own for the HTTP request and hands it to the
  core as the parent of the RPC call's span. The gateway answers with
  `traceresponse` (trace id and its span id); both daemons log trace_id and
  span_id on their request lines. With telemetry.enabled the spans go to
  telemetry.endpoint as OTLP/HTTP JSON, as telemetry.sampler.type decides
  (hot-reloadable).

  Background:
    Given an OTLP receiver collects the exported spans

  Scenario: A client's trace continues through the gateway and the core
    Given the request header "traceparent" is "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    When I GET "/api/v1/greet/ann"
    Then the status is 200
    And the response continues the trace "4bf92f3577b34da6a3ce929d0e0e4736"
    And the response says the trace is sampled
    And both daemons logged the trace on their request lines
    And the gateway exported its span named "GET /api/v1/greet/{name}"
    And the gateway's span is a child of "00f067aa0ba902b7"
    And the gateway span has the attributes
      | attribute                 | value                |
      | http.request.method       | GET                  |
      | http.route                | /api/v1/greet/{name} |
      | http.response.status_code | 200                  |
    And the RPC core exported its span named "dlc.v1.GreetService/Greet"
    And the RPC core's span is a child of the gateway's span
    And the RPC core span has the attributes
      | attribute           | value               |
      | rpc.system          | dlc                 |
      | rpc.service         | dlc.v1.GreetService |
      | rpc.method          | Greet               |
      | rpc.dlc.status_code | 0                   |
    And the receiver got OTLP JSON posts on /v1/traces

  Scenario: A request without traceparent starts a new trace
    When I GET "/api/v1/greet/bob"
    Then the status is 200
    And the response starts a new trace, not "00000000000000000000000000000000"
    And both daemons logged the trace on their request lines
    And the gateway exported its span named "GET /api/v1/greet/{name}"
    And the gateway's span is the root of its trace
    And the RPC core exported its span named "dlc.v1.GreetService/Greet"
    And the RPC core's span is a child of the gateway's span

  Scenario Outline: An invalid traceparent is replaced by a new trace
    Given the request header "traceparent" is "<traceparent>"
    When I GET "/api/v1/greet/ann"
    Then the status is 200
    And the response starts a new trace, not "<trace id>"
    And both daemons logged the trace on their request lines
    And the gateway's span is the root of its trace
    And the RPC core's span is a child of the gateway's span

    Examples:
      | traceparent                                                 | trace id                         |
      | 00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01     | 4BF92F3577B34DA6A3CE929D0E0E4736 |
      | 00-00000000000000000000000000000000-00f067aa0ba902b7-01     | 00000000000000000000000000000000 |
      | 00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01     | 4bf92f3577b34da6a3ce929d0e0e4736 |
      | 01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01     | 4bf92f3577b34da6a3ce929d0e0e4736 |
      | 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz | 4bf92f3577b34da6a3ce929d0e0e4736 |

  Scenario: A client's unsampled trace is not exported (parentbased_always_on)
    Given the request header "traceparent" is "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
    When I GET "/api/v1/greet/ann"
    Then the status is 200
    And the response continues the trace "0af7651916cd43dd8448eb211c80319c"
    And the response says the trace is not sampled
    And I remember the trace as "unsampled"
    Given the request header "traceparent" is "00-0af7651916cd43dd8448eb211c80319d-b7ad6b7169203331-01"
    When I GET "/api/v1/greet/ann"
    Then the RPC core exported its span named "dlc.v1.GreetService/Greet"
    And the gateway exported its span named "GET /api/v1/greet/{name}"
    And the receiver got no span of trace "unsampled"

  Scenario: The sampler is switched from always_off to always_on by a hot reload
    Given the configuration sets "telemetry.sampler.type" to "always_off"
    When I GET "/api/v1/greet/ann"
    Then the status is 200
    And the response says the trace is not sampled
    And both daemons logged the trace on their request lines
    And I remember the trace as "off"
    When the config file is edited to set "telemetry.sampler.type" to "always_on"
    And I GET "/api/v1/greet/ann"
    Then the response says the trace is sampled
    And the gateway exported its span named "GET /api/v1/greet/{name}"
    And the RPC core exported its span named "dlc.v1.GreetService/Greet"
    And the receiver got no span of trace "off"
