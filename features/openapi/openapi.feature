Feature: The API describes itself
  GET /api/openapi.json is an OpenAPI 3.1 document the gateway generates at
  start from its route table and the .proto files (descriptions are their
  comments); GET /api/docs renders it with Swagger UI. The document must
  tell the truth about the running stack: every operation it lists is
  routed, and the operations it says need a token refuse a call without one.

  Background:
    Given the configuration sets "ratelimit.enabled" to false

  Scenario: The document is served as JSON
    When I GET "/api/openapi.json"
    Then the status is 200
    And the content type is "application/json"
    And the JSON at "openapi" is "3.1.0"
    And the JSON at "components.securitySchemes.bearerAuth.scheme" is "bearer"
    And the JSON at "components.schemas.Error.required" equals ["error", "message"]

  Scenario: Every documented operation is routed, and its token requirement is true
    When I call every operation of the document without a token
    Then every one of them was routed
    And every operation that requires a token answered 401
    And every operation that answered 401 documents it

  Scenario: The reference page shows every operation
    Given swagger-ui-dist is installed
    When headless Chromium loads "/api/docs"
    Then the page shows every operation of the document

  Scenario: The page's files are served from server.docs_dir, and only those
    Given swagger-ui-dist is installed
    When I GET "/api/docs/swagger-ui.css"
    Then the status is 200
    And the content type is "text/css"
    When I GET "/api/docs/package.json"
    Then the status is 404
    And the error is "not_found"
    When I GET "/api/docs/..%2Fpackage.json"
    Then the status is 404

  Scenario: Without swagger-ui-dist the page's files are 404, and say why
    Given the configuration sets "server.docs_dir" to "/nonexistent"
    When I GET "/api/docs/swagger-ui-bundle.js"
    Then the status is 404
    And the error message is "swagger-ui-dist is not installed in server.docs_dir (scripts/webtools install puts it in build/npm)"
