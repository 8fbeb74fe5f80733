import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  allowingLoopback,
  classifyAddress,
  egressPolicy,
  EgressRefusedError,
  findEgressRefusal,
  guardedDispatcher,
  literalRefusal,
  parseEgressPolicy,
  refusalOf,
  resolveChecked,
  type AddressClass,
} from './network-guard.js';

const TABLE: [string, AddressClass][] = [
  ['8.8.8.8', 'public'],
  ['93.184.216.34', 'public'],
  ['172.32.0.1', 'public'],
  ['172.15.255.255', 'public'],
  ['100.128.0.1', 'public'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.5', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'link-local'],
  ['169.254.0.1', 'link-local'],
  ['0.0.0.0', 'reserved'],
  ['0.1.2.3', 'reserved'],
  ['100.64.0.1', 'reserved'],
  ['100.127.255.255', 'reserved'],
  ['224.0.0.1', 'reserved'],
  ['239.255.255.250', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'reserved'],
  ['192.0.2.10', 'reserved'],
  ['2606:4700:4700::1111', 'public'],
  ['2001:4860:4860::8888', 'public'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['[::1]', 'loopback'],
  ['::', 'reserved'],
  ['fc00::1', 'private'],
  ['fd12:3456:789a::1', 'private'],
  ['fe80::1', 'link-local'],
  ['febf::1', 'link-local'],
  ['ff02::1', 'reserved'],
  ['2001:db8::1', 'reserved'],
  // IPv4-mapped IPv6 reaches the IPv4 address, in both spellings.
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:a9fe:a9fe', 'link-local'],
  ['0:0:0:0:0:ffff:192.168.0.1', 'private'],
  ['::ffff:8.8.8.8', 'public'],
];

describe('classifyAddress', () => {
  it.each(TABLE)('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it('throws on a host name', () => {
    expect(() => classifyAddress('example.org')).toThrow(/not an IP address/);
  });
});

describe('parseEgressPolicy', () => {
  it('reads class names and CIDRs, case and spaces aside', () => {
    const parsed = parseEgressPolicy(' Loopback, private ,10.20.0.0/16,fd00:1::/32');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect([...parsed.value.classes]).toEqual(['loopback', 'private']);
    expect(parsed.value.cidrs).toEqual(['10.20.0.0/16', 'fd00:1::/32']);
  });

  it('reads none and an empty list as nothing allowed', () => {
    for (const raw of ['none', '', ' , ']) {
      const parsed = parseEgressPolicy(raw);
      expect(parsed.ok && parsed.value.classes.size === 0 && parsed.value.cidrs.length === 0, raw).toBe(true);
    }
  });

  it.each(['public', '10.0.0.0', '10.0.0.0/33', '10.0.0.0/8/1', 'fd00::/129', 'example.org/8', '10.0.0.0/x'])(
    'refuses %s',
    (raw) => {
      const parsed = parseEgressPolicy(raw);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error).toContain(raw);
    },
  );
});

describe('refusalOf', () => {
  it('allows public addresses under the strictest policy', () => {
    expect(refusalOf(egressPolicy('none'), '8.8.8.8')).toBeNull();
  });

  it('refuses each non-public class with what to set to allow it', () => {
    const none = egressPolicy('none');
    expect(refusalOf(none, '127.0.0.1')?.reason).toContain('SIS_SYNC_OUTBOUND_ALLOW=loopback');
    expect(refusalOf(none, '10.0.0.5')?.reason).toBe(
      'is in a private range; set SIS_SYNC_OUTBOUND_ALLOW=private to allow it',
    );
    expect(refusalOf(none, '169.254.169.254')?.reason).toContain('SIS_SYNC_OUTBOUND_ALLOW=link-local');
    expect(refusalOf(none, '100.64.0.1')?.reason).toContain('add a CIDR');
  });

  it('allows a class by name, and only that class', () => {
    const policy = egressPolicy('private');
    expect(refusalOf(policy, '192.168.4.4')).toBeNull();
    expect(refusalOf(policy, '::ffff:10.0.0.1')).toBeNull();
    expect(refusalOf(policy, '127.0.0.1')?.cls).toBe('loopback');
  });

  it('allows an address inside an allowed CIDR, reserved ones included, and nothing next to it', () => {
    const policy = egressPolicy('10.20.0.0/16,100.64.0.0/10,fd00:1::/32');
    expect(refusalOf(policy, '10.20.3.4')).toBeNull();
    expect(refusalOf(policy, '::ffff:10.20.3.4')).toBeNull();
    expect(refusalOf(policy, '100.100.0.1')).toBeNull();
    expect(refusalOf(policy, 'fd00:1:2::3')).toBeNull();
    expect(refusalOf(policy, '10.21.0.1')?.cls).toBe('private');
    expect(refusalOf(policy, 'fd00:2::1')?.cls).toBe('private');
  });

  it('allowingLoopback adds loopback and keeps the rest', () => {
    const policy = allowingLoopback(egressPolicy('10.20.0.0/16'));
    expect(refusalOf(policy, '127.0.0.1')).toBeNull();
    expect(refusalOf(policy, '10.20.0.1')).toBeNull();
    expect(refusalOf(policy, '10.30.0.1')).not.toBeNull();
  });
});

describe('literalRefusal', () => {
  it('judges literal addresses only, host names being left to connection time', () => {
    const policy = egressPolicy('none');
    expect(literalRefusal(policy, '10.0.0.5')?.message).toBe(
      'address 10.0.0.5 is in a private range; set SIS_SYNC_OUTBOUND_ALLOW=private to allow it',
    );
    expect(literalRefusal(policy, '[::1]')?.addressClass).toBe('loopback');
    expect(literalRefusal(policy, 'localhost')).toBeNull();
    expect(literalRefusal(policy, '8.8.8.8')).toBeNull();
  });
});

describe('resolveChecked', () => {
  it('checks the address a host name resolves to, naming both', async () => {
    const error = await resolveChecked(egressPolicy('none'), 'localhost').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EgressRefusedError);
    expect((error as EgressRefusedError).describe('provider')).toMatch(
      /^provider address (127\.0\.0\.1|::1) \(host localhost\) is a loopback address; set SIS_SYNC_OUTBOUND_ALLOW=loopback to allow it$/,
    );
    const allowed = await resolveChecked(egressPolicy('loopback'), 'localhost');
    expect(classifyAddress(allowed.address)).toBe('loopback');
  });
});

describe('guardedDispatcher', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('reached'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('lets fetch reach an allowed address', async () => {
    const dispatcher = guardedDispatcher(egressPolicy('loopback'));
    const response = await fetch(`http://localhost:${port}/`, { dispatcher });
    expect(await response.text()).toBe('reached');
  });

  it('refuses before connecting, for a literal address and for a name resolving to it', async () => {
    const dispatcher = guardedDispatcher(egressPolicy('private'));
    for (const url of [
      `http://127.0.0.1:${port}/`,
      `http://localhost:${port}/`,
      `http://[::ffff:7f00:1]:${port}/`,
    ]) {
      const error = await fetch(url, { dispatcher }).catch((e: unknown) => e);
      expect(findEgressRefusal(error)?.addressClass, url).toBe('loopback');
    }
  });
});
