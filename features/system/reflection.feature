Feature: Reflection
  SystemService/ListServices says what the core serves (services, methods,
  their types, access level, whether they write) and
  SystemService/GetFileDescriptorSet hands out the contract itself; both are
  reached through the gateway's /rpc route like any method. They are for
  admins unless rpc.reflection is "public".

  Scenario: An admin lists the services and their methods
    Given I am logged in as the admin
    When I POST "/rpc/dlc.v1.SystemService/ListServices" with JSON:
      """
      {}
      """
    Then the status is 200
    And the JSON at "services.2.name" is "dlc.v1.GreetService"
    And the JSON at "services.2.methods.0" equals {"name": "Greet", "full_name": "dlc.v1.GreetService/Greet", "input_type": "dlc.v1.GreetRequest", "output_type": "dlc.v1.GreetResponse", "access": "ACCESS_PUBLIC", "writes": false}
    And the JSON at "services.1.name" is "dlc.v1.AuthService"

  Scenario: An admin gets the contract as a FileDescriptorSet
    Given I am logged in as the admin
    When I POST "/rpc/dlc.v1.SystemService/GetFileDescriptorSet" with JSON:
      """
      {}
      """
    Then the status is 200
    # base64 of the serialized set: its first byte is 0x0a (field 1, bytes)
    And the JSON at "file_descriptor_set" matches "^C[A-Za-z0-9+/]{100,}"

  Scenario: Anonymous callers are refused by default
    When I POST "/rpc/dlc.v1.SystemService/ListServices" with JSON:
      """
      {}
      """
    Then the status is 401
    And the RPC error code is "unauthenticated"

  Scenario: Anyone may reflect when rpc.reflection is public
    Given the configuration sets "rpc.reflection" to "public"
    When I POST "/rpc/dlc.v1.SystemService/ListServices" with JSON:
      """
      {}
      """
    Then the status is 200
    And the JSON at "services.3.name" is "dlc.v1.SystemService"
