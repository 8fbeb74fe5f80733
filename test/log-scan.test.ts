import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, inject, it } from 'vitest';

import { forbiddenInLogs } from './support/secrets.js';

/*
 * Runs after the whole suite (vitest project "log-scan", groupOrder 1): every line that every
 * test and every spawned process logged, searched for every secret the suite used.
 */
const logDir = inject('logDir');
const files = (() => {
  try {
    return readdirSync(logDir).map((f) => ({ name: f, text: readFileSync(path.join(logDir, f), 'utf8') }));
  } catch {
    return [];
  }
})();

describe('the logs of the whole suite', () => {
  it('exist and record the requests that carried secrets', () => {
    expect(files.length).toBeGreaterThan(0);
    const all = files.map((f) => f.text).join('\n');
    // The suite created providers with these secrets, with bearer tokens: those requests were logged.
    expect(all).toMatch(/"method":"POST","path":"\/api\/v1\/providers","statusCode":201/);
    expect(all.split('\n').length).toBeGreaterThan(20);
  });

  it('hold no secret and no bearer token', () => {
    const leaks: string[] = [];
    for (const { name, text } of files) {
      for (const secret of forbiddenInLogs()) {
        // Keys span lines; JSON logs escape newlines, so each line of a secret is searched for.
        for (const piece of secret.split('\n')) {
          if (piece.length >= 8 && text.includes(piece)) leaks.push(`${name}: "${piece.slice(0, 12)}..."`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });
});
