Feature: Version, build information and uptime
  Operators and clients ask which build answers and since when.
  ${version} and ${commit} are what the binaries under test report.

  Scenario: Version as JSON by default
    When I GET "/api/version"
    Then the status is 200
    And the content type is "application/json"
    And the JSON has keys "version, commit, build_date, compiler"
    And the JSON at "version" is "${version}"
    And the JSON at "commit" is "${commit}"
    And the JSON at "build_date" is a timestamp
    And the JSON at "compiler" is a non-empty string

  Scenario: Version as JSON on request
    When I GET "/api/version?format=json"
    Then the status is 200
    And the content type is "application/json"
    And the JSON at "version" is "${version}"

  Scenario Outline: Version as bare text (<format>)
    When I GET "/api/version?format=<format>"
    Then the status is 200
    And the content type is "text/plain"
    And the body is "${version}"

    Examples:
      | format |
      | plain  |
      | short  |

  Scenario: Version in full
    When I GET "/api/version?format=full"
    Then the status is 200
    And the content type is "text/plain"
    And the body matches "^Version: ${version}\nCommit: \S+\nBuilt: \S+"

  Scenario: Service information
    When I GET "/api/info"
    Then the status is 200
    And the content type is "application/json"
    And the JSON has keys "version, commit_short, build_date, uptime_seconds, cache_enabled, healthz_status, compiler"
    And the JSON at "version" is "${version}"
    And the JSON at "commit_short" abbreviates "${commit}"
    And the JSON at "uptime_seconds" is a non-negative integer
    And the JSON at "cache_enabled" equals true
    And the JSON at "healthz_status" is "healthy"

  Scenario: Uptime
    When I GET "/api/v1/uptime"
    Then the status is 200
    And the content type is "application/json"
    And the JSON at "start_time" is a timestamp
    And the JSON at "uptime_seconds" is a non-negative integer

  Scenario: Uptime grows
    When I GET "/api/v1/uptime"
    And I remember the JSON at "uptime_seconds" as "before"
    And I remember the JSON at "start_time" as "start"
    And I wait 1.2 seconds
    And I GET "/api/v1/uptime"
    Then the JSON at "uptime_seconds" is greater than the remembered "before"
    And the JSON at "start_time" is the remembered "start"
