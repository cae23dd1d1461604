export { PeerCredError, PeerCredErrorCode } from './errors.js';
export {
  type AcceptedStartTime,
  acceptedStartTime,
  type PeerCredentials,
  peerCredentials,
  peerProcessHeld,
  releasePeerCredentials,
} from './peer-credentials.js';
export {
  DEFAULT_MAX_OPEN_PROC_FILES,
  ProcFileReader,
  readProcFileSync,
} from './proc-file.js';
export {
  parseStartTime,
  processStartTime,
  processStartTimeSync,
} from './process-start-time.js';
