Feature: Configuration hot reload
  Both daemons watch their config file and reload it on change (and on
  SIGHUP). Reloadable keys take effect without a restart; keys that need one
  are named in a warning and keep their running value; an invalid file keeps
  the running configuration whole. /api/info shows the config generation of
  the core ("config_generation") and of the gateway
  ("gateway_config_generation"), so each step waits for it instead of sleeping.

  Background:
    Given both daemons run with config generation 1

  Scenario: The logging level changes without a restart
    # access lines are debug ones with logging.access off
    Given the configuration sets "logging.access" to false
    When I GET "/api/v1/greet/ann"
    Then the RPC core logged no debug line
    When the config file is edited to set "logging.level" to "debug"
    And I GET "/api/v1/greet/ann"
    Then the status is 200
    And both daemons report config generation 2
    And the RPC core logged a debug line
    And the gateway logged a debug line

  Scenario: The v2 API is enabled without a restart
    When I POST "/api/v2/greet" with JSON:
      """
      {"name": "bob"}
      """
    Then the status is 404
    When the config file is edited to set "api.v2_enabled" to true
    And I POST "/api/v2/greet" with JSON:
      """
      {"name": "bob"}
      """
    Then the status is 200
    And the JSON at "message" is "Hello my friend bob!"

  Scenario: A new JWT TTL applies to tokens issued after the reload
    Given a user "ann" registered with password "correct horse"
    When I log in as "ann" with password "correct horse"
    Then the JSON at "expires_in" equals 3600
    When the config file is edited to set "auth.jwt.ttl" to "2h"
    And I log in as "ann" with password "correct horse"
    Then the status is 200
    And the JSON at "expires_in" equals 7200
    And the token expires 7200 seconds after it was issued

  Scenario: A changed listen port is ignored with a warning
    When the config file is edited to set "server.listen" to "127.0.0.1:1"
    Then the gateway logged a warning that "server.listen" needs a restart
    And both daemons report config generation 2
    When I GET "/api/health"
    Then the status is 200

  Scenario: An invalid logging level keeps the running configuration
    When the config file is edited with the invalid value "verbose" for "logging.level"
    Then the RPC core logged an error naming the config file line of "logging.level"
    And the gateway logged an error naming the config file line of "logging.level"
    And both daemons report config generation 1
    When I GET "/api/v1/greet/ann"
    Then the status is 200
    And the RPC core logged no debug line

  Scenario: SIGHUP re-reads the sources; unchanged sources change nothing
    When both daemons receive SIGHUP
    Then the RPC core logged "SIGHUP: reloading the configuration"
    And the gateway logged "SIGHUP: reloading the configuration"
    And both daemons report config generation 1
    When I GET "/api/health"
    Then the status is 200

  Scenario: A new rate limit applies without a restart
    Given rate limiting allows 1 greetings per minute with a burst of 2
    When I GET "/api/v1/greet/ann" 3 times
    Then the status is 429
    When the config file is edited to set "ratelimit.burst_size" to 10
    And I GET "/api/v1/greet/ann"
    Then the status is 200
    And the response header "RateLimit-Policy" is '"greet";q=1;w=60'
