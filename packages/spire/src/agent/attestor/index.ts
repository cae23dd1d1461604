export { type AgentIdentity, NodeAttestation, type NodeAttestationOptions } from './attestor.js';
export { loadBootstrapBundle, parseBootstrap } from './bootstrap.js';
export { AgentAttestorError, AgentAttestorErrorCode } from './errors.js';
export { type AttestationResult, attestNode } from './node-attestation.js';
