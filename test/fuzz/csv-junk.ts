import fc from 'fast-check';

import { MAX_RECORD_CHARS } from '../../src/connectors/oneroster-csv/package-limits.js';

/*
 * Bytes a CSV reader must survive: random bytes, the bytes it decides on (NUL, CR, LF, quote,
 * comma), BOMs, invalid UTF-8, awkward text and values, and fields past the record cap.
 */

const BYTES = {
  utf8Bom: [0xef, 0xbb, 0xbf],
  utf16Bom: [0xff, 0xfe],
  // Invalid UTF-8: a lone lead byte, a lone continuation, an encoded surrogate, a cut-off emoji, 0xFF.
  invalid: [[0xc3], [0x80], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98], [0xff]],
};

const piece: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 48 }),
  // The bytes a CSV reader decides on, dense.
  fc
    .array(fc.constantFrom(0x00, 0x0a, 0x0d, 0x22, 0x2c, 0x20, 0x61, 0x7b, 0x3a), { maxLength: 48 })
    .map((a) => Uint8Array.from(a)),
  fc.constantFrom(BYTES.utf8Bom, BYTES.utf16Bom, ...BYTES.invalid).map((a) => Uint8Array.from(a)),
  fc
    .string({
      unit: fc.constantFrom('a', 'é', '😀', ',', '"', '""', '\n', '\r', '\r\n', ' ', '\u0000', '\uFEFF'),
    })
    .map((s) => Buffer.from(s)),
  fc
    .constantFrom('true', '2025-02-30', 'teacher', 'ext:x', '{LDAP:1}', 'sch-1', 'tobedeleted')
    .map((s) => Buffer.from(s)),
);

/** Now and then a field past the record cap, quoted or not. */
const huge = fc
  .constantFrom('', '"')
  .map((quote) => Buffer.from(`${quote}${'x'.repeat(MAX_RECORD_CHARS + 3)}${quote}\n`));

/** Bytes to append to a file: pieces of the above, now and then ending in a huge field. */
export const junk: fc.Arbitrary<Buffer> = fc
  .tuple(fc.array(piece, { maxLength: 24 }), fc.option(huge, { freq: 25 }))
  .map(([pieces, big]) => Buffer.concat(big === null ? pieces : [...pieces, big]));
