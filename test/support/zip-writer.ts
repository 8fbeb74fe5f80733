import { crc32, deflateRawSync } from 'node:zlib';

/**
 * Writes zip files byte by byte, so that tests can build what no zip tool would: names with `..`,
 * absolute names, duplicate names, entries that lie about their size. PKWARE APPNOTE 6.3.10,
 * sections 4.3.7 (local header), 4.3.12 (central directory), 4.3.16 (end record), 4.5.3 (zip64).
 */
export interface ZipEntrySpec {
  name: string;
  data: Buffer | string;
  /** Deflate (the default) or store. */
  method?: 'deflate' | 'store';
  /** Overrides the uncompressed size the central directory declares; past 4 GiB it is written as zip64. */
  declaredSize?: number;
}

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};

export function zipBytes(entries: readonly ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const spec of entries) {
    const data = typeof spec.data === 'string' ? Buffer.from(spec.data) : spec.data;
    const method = spec.method === 'store' ? 0 : 8;
    const body = method === 8 ? deflateRawSync(data) : data;
    const name = Buffer.from(spec.name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.concat([
      u32(0x04034b50),
      u16(20),
      u16(0x0800), // names are UTF-8
      u16(method),
      u16(0),
      u16(0x21), // 1980-01-01
      u32(crc),
      u32(body.length),
      u32(data.length),
      u16(name.length),
      u16(0),
      name,
    ]);
    const declared = spec.declaredSize ?? data.length;
    const zip64 = declared >= 0xffffffff;
    const extra = zip64 ? Buffer.concat([u16(0x0001), u16(8), u64(declared)]) : Buffer.alloc(0);
    centrals.push(
      Buffer.concat([
        u32(0x02014b50),
        u16(zip64 ? 45 : 20),
        u16(zip64 ? 45 : 20),
        u16(0x0800),
        u16(method),
        u16(0),
        u16(0x21),
        u32(crc),
        u32(body.length),
        u32(zip64 ? 0xffffffff : declared),
        u16(name.length),
        u16(extra.length),
        u16(0),
        u16(0),
        u16(0),
        u32(0),
        u32(offset),
        name,
        extra,
      ]),
    );
    locals.push(local, body);
    offset += local.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.concat([
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(entries.length),
    u16(entries.length),
    u32(directory.length),
    u32(offset),
    u16(0),
  ]);
  return Buffer.concat([...locals, directory, end]);
}
