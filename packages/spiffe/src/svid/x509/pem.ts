/** One block of a PEM document (RFC 7468): its label and its decoded bytes. */
export interface PemBlock {
  label: string;
  bytes: Buffer;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/** True when the input looks like PEM text rather than DER bytes. */
export function looksLikePem(input: Uint8Array): boolean {
  const head = Buffer.from(input.subarray(0, 4096)).toString('latin1');
  return head.includes('-----BEGIN ');
}

/**
 * Reads every PEM block of `text`. RFC 7468 §3: the body is strict base64; unlike
 * `Buffer.from(s, 'base64')`, stray characters and non-canonical padding bits are refused so
 * that two different texts never decode to the same bytes. Returns undefined on any defect,
 * including text outside blocks other than white space.
 */
export function decodePem(text: string): PemBlock[] | undefined {
  const blocks: PemBlock[] = [];
  let last = 0;
  for (const match of text.matchAll(BLOCK)) {
    const [whole, label, body, endLabel] = match;
    if (label !== endLabel || text.slice(last, match.index).trim() !== '') return undefined;
    const bytes = decodeBase64Strict((body as string).replace(/\s+/g, ''));
    if (bytes === undefined) return undefined;
    blocks.push({ label: label as string, bytes });
    last = match.index + whole.length;
  }
  if (text.slice(last).trim() !== '') return undefined;
  return blocks;
}

function decodeBase64Strict(body: string): Buffer | undefined {
  if (body.length === 0 || body.length % 4 !== 0 || !BASE64_BODY.test(body)) return undefined;
  const bytes = Buffer.from(body, 'base64');
  return bytes.toString('base64') === body ? bytes : undefined;
}

/** Encodes bytes as one PEM block with 64-column lines. */
export function encodePem(label: string, bytes: Uint8Array): string {
  const body = Buffer.from(bytes).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${body}${body.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}
