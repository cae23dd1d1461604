import { SpiffeError } from '@spire-ts/spiffe';

/** Errors of the credential templates; codes `ERR_CREDTEMPLATE_*`. */
export class CredTemplateError extends SpiffeError {}
