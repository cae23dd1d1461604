/**
 * The one registry of log field names (snake_case, as SPIRE's telemetry names them). Log calls
 * use these constants, never ad-hoc strings, so a field reads the same everywhere.
 */
export const LogField = {
  Address: 'address',
  AgentId: 'agent_id',
  Attestor: 'attestor',
  AuthorityId: 'authority_id',
  BundleEndpointUrl: 'bundle_endpoint_url',
  CallerAddr: 'caller_addr',
  CallerGid: 'caller_gid',
  CallerId: 'caller_id',
  CallerPath: 'caller_path',
  CallerPid: 'caller_pid',
  CallerUid: 'caller_uid',
  Count: 'count',
  Error: 'error',
  Expiration: 'expiration',
  Method: 'method',
  NodeAttestorType: 'node_attestor_type',
  Path: 'path',
  PluginName: 'plugin_name',
  PluginType: 'plugin_type',
  RegistrationId: 'registration_id',
  Request: 'request',
  Selectors: 'selectors',
  SerialNumber: 'serial_number',
  Service: 'service',
  SpiffeId: 'spiffe_id',
  SubsystemName: 'subsystem_name',
  TrustDomain: 'trust_domain',
  TrustDomainId: 'trust_domain_id',
  Ttl: 'ttl',
  Version: 'version',
} as const;

/** A registered log field name. */
export type LogFieldName = (typeof LogField)[keyof typeof LogField];
