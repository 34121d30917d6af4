Feature: Connections that cannot be held
  A client that opens many connections and sends nothing, or sends a byte
  a second, must not keep the gateway from answering others. The gateway
  serves each connection on a thread of its own (server.threads, 1280 by
  default): a connection that sends nothing is closed after
  server.request_timeout, an idle kept-alive one after 5 s, a body that
  does not arrive within server.request_timeout is answered 408, and a
  refused body closes the connection at once.

  Scenario: 1,000 idle connections and 100 slow senders
    Given the configuration leaves "server.threads" at its default
    When a client holds 1000 idle connections and 100 slow senders for 10 seconds
    Then /api/health answered meanwhile with p99 within 100 ms

  Scenario: A refused body closes the connection for real
    Given the maximum body size is 100 bytes
    When I send, on one connection, a 200-byte body to "/rpc/dlc.v1.GreetService/Greet" and then GET "/api/health"
    Then exactly one answer came back, 413, and the connection was closed

  Scenario: A body fed a byte at a time is cut off at the request timeout
    Given the configuration sets "server.request_timeout" to "1s"
    When I send a 60000-byte body to "/rpc/dlc.v1.GreetService/Greet" one byte every 20 ms
    Then exactly one answer came back, 408, and the connection was closed
