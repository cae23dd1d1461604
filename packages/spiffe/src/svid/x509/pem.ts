/** One block of a PEM document (RFC 7468): its label and its decoded bytes. */
export interface PemBlock {
  label: string;
  bytes: Buffer;
}

const BEGIN = '-----BEGIN ';
const END = '-----END ';
const DASHES = '-----';
const LABEL = /^[A-Z0-9 ]+$/;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/** True when the input looks like PEM text rather than DER bytes. */
export function looksLikePem(input: Uint8Array): boolean {
  const head = Buffer.from(input.subarray(0, 4096)).toString('latin1');
  return head.includes('-----BEGIN ');
}

/**
 * Reads every PEM block of `text`. RFC 7468 §3: the body is strict base64; unlike
 * `Buffer.from(s, 'base64')`, stray characters and non-canonical padding bits are refused so
 * that two different texts never decode to the same bytes. Any defect, text outside blocks other
 * than white space included, is returned as a string that says what and where.
 *
 * The scan only moves forward (each `indexOf` starts where the last one stopped), so a hostile
 * text of many openers without an END line costs linear time, not a rescan per opener.
 */
export function decodePem(text: string): PemBlock[] | string {
  const blocks: PemBlock[] = [];
  let pos = 0;
  for (;;) {
    const begin = text.indexOf(BEGIN, pos);
    const between = text.slice(pos, begin === -1 ? text.length : begin);
    if (between.trim() !== '') {
      const offset = pos + between.search(/\S/);
      return `text outside a pem block at offset ${offset}, only white space may surround blocks`;
    }
    if (begin === -1) return blocks;

    const read = readBlock(text, begin);
    if (typeof read === 'string') return read;
    blocks.push(read.block);
    pos = read.next;
  }
}

/** One block starting at `begin` (RFC 7468 §2) and the offset after its END line, or a defect. */
function readBlock(text: string, begin: number): { block: PemBlock; next: number } | string {
  const labelStart = begin + BEGIN.length;
  const labelEnd = text.indexOf(DASHES, labelStart);
  const label = labelEnd === -1 ? '' : text.slice(labelStart, labelEnd);
  let bodyStart = labelEnd + DASHES.length;
  if (text.charCodeAt(bodyStart) === 0x0d) bodyStart += 1;
  if (!LABEL.test(label) || text.charCodeAt(bodyStart) !== 0x0a) {
    return `the BEGIN line at offset ${begin} is not -----BEGIN <LABEL>----- on a line of its own`;
  }
  bodyStart += 1;

  // The first END marker closes the block; it must carry the same label.
  const shown = `block ${JSON.stringify(label.slice(0, 40))} at offset ${begin}`;
  const end = text.indexOf(END, bodyStart);
  const closing = `${END}${label}${DASHES}`;
  if (end === -1 || !text.startsWith(closing, end)) return `${shown} has no matching END line`;
  const bytes = decodeBase64Strict(text.slice(bodyStart, end).replace(/\s+/g, ''));
  if (bytes === undefined) return `${shown} is not strict base64`;
  return { block: { label, bytes }, next: end + closing.length };
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
