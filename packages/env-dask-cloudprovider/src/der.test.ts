import { describe, expect, it } from 'vitest';
import { element, namedBits, objectIdentifier, time, unsignedInteger } from './der.js';

const hex = (buffer: Buffer): string => buffer.toString('hex');

describe('DER encoders', () => {
  it('encodes short and long lengths', () => {
    expect(hex(element(0x04, Buffer.alloc(3)))).toBe('0403000000');
    expect(hex(element(0x04, Buffer.alloc(200))).slice(0, 6)).toBe('0481c8');
    expect(hex(element(0x04, Buffer.alloc(300))).slice(0, 8)).toBe('0482012c');
  });

  it('keeps integers positive and minimal', () => {
    expect(hex(unsignedInteger(Buffer.from([0x80])))).toBe('02020080');
    expect(hex(unsignedInteger(Buffer.from([0x00, 0x00, 0x7f])))).toBe('02017f');
    expect(hex(unsignedInteger(Buffer.from([])))).toBe('020100');
  });

  it('encodes object identifiers with multi-byte arcs', () => {
    expect(hex(objectIdentifier('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302');
    expect(hex(objectIdentifier('2.5.29.19'))).toBe('0603551d13');
  });

  it('encodes named bits without trailing zero bits', () => {
    expect(hex(namedBits([0]))).toBe('03020780');
    expect(hex(namedBits([5, 6]))).toBe('03020106');
  });

  it('uses UTCTime before 2050 and GeneralizedTime from 2050', () => {
    expect(time(new Date('2049-12-31T23:59:59Z')).toString('latin1').slice(2)).toBe('491231235959Z');
    expect(time(new Date('2050-01-01T00:00:00Z'))[0]).toBe(0x18);
  });
});
