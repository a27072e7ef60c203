/**
 * The few DER (ASN.1 Distinguished Encoding Rules) encoders an X.509 certificate needs. Each
 * returns the complete encoding (tag, length, contents).
 */

function lengthOf(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One element: `tag`, then the length of the concatenated `contents`, then the contents. */
export function element(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), lengthOf(body.length), body]);
}

export const sequence = (...contents: Buffer[]): Buffer => element(0x30, ...contents);
export const set = (...contents: Buffer[]): Buffer => element(0x31, ...contents);

/** A non-negative INTEGER from its big-endian bytes (leading zeros dropped, a 0 added if the top bit is set). */
export function unsignedInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  const body = trimmed.length === 0 ? Buffer.from([0]) : (trimmed[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
  return element(0x02, body);
}

export function smallInteger(value: number): Buffer {
  return unsignedInteger(Buffer.from([value]));
}

export function objectIdentifier(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes: number[] = [first * 40 + second];
  for (const arc of rest) {
    const groups: number[] = [];
    for (let value = arc; ; value = Math.floor(value / 128)) {
      groups.unshift(value % 128);
      if (value < 128) break;
    }
    bytes.push(...groups.map((group, index) => (index < groups.length - 1 ? group | 0x80 : group)));
  }
  return element(0x06, Buffer.from(bytes));
}

export const utf8String = (text: string): Buffer => element(0x0c, Buffer.from(text, 'utf8'));
export const octetString = (bytes: Buffer): Buffer => element(0x04, bytes);
export const booleanTrue = (): Buffer => element(0x01, Buffer.from([0xff]));

/** A BIT STRING holding whole bytes. */
export const bitString = (bytes: Buffer): Buffer => element(0x03, Buffer.from([0]), bytes);

/**
 * A BIT STRING of named bits (bit 0 = the most significant bit of the first byte), as KeyUsage
 * uses: trailing zero bits are not encoded (DER).
 */
export function namedBits(bits: readonly number[]): Buffer {
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[Math.floor(bit / 8)] = (bytes[Math.floor(bit / 8)] as number) | (0x80 >> (bit % 8));
  const unused = 7 - (highest % 8);
  return element(0x03, Buffer.from([unused]), bytes);
}

/** UTCTime before 2050, GeneralizedTime from 2050 on (RFC 5280 4.1.2.5). */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2024-06-01T12:34:56.789Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, ''); // 20240601123456
  return date.getUTCFullYear() < 2050 ? element(0x17, Buffer.from(`${digits.slice(2)}Z`, 'ascii')) : element(0x18, Buffer.from(`${digits}Z`, 'ascii'));
}

/** `[n] EXPLICIT`: a constructed context-specific wrapper. */
export const explicit = (tagNumber: number, content: Buffer): Buffer => element(0xa0 | tagNumber, content);

/** `[n] IMPLICIT` of a primitive value (its raw bytes). */
export const implicitPrimitive = (tagNumber: number, bytes: Buffer): Buffer => element(0x80 | tagNumber, bytes);
