export { PeerCredError, PeerCredErrorCode } from './errors.js';
export { type PeerCredentials, peerCredentials } from './peer-credentials.js';
export { parseStartTime, processStartTime } from './process-start-time.js';
