import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from './log.js';

function capture(): { stream: Writable; lines: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  return { stream, lines: () => out };
}

describe('createLogger', () => {
  it('writes JSON with the level name and redacts credentials wherever they appear', async () => {
    const sink = capture();
    const log = createLogger({ destination: sink.stream, level: 'info' });
    log.info(
      {
        cluster: 'blue',
        config: { bearerToken: 'tok-123', tlsClientConfig: { keyData: 'key-456' } },
        request: { headers: { authorization: 'Bearer abc', 'DD-API-KEY': 'dd-789' } },
        credentials: { secretAccessKey: 'aws-000', sessionToken: 'sess-111' },
        token: 'top-level',
      },
      'connecting',
    );
    await new Promise((r) => setImmediate(r));
    const text = sink.lines();
    const entry = JSON.parse(text) as Record<string, unknown>;
    expect(entry.level).toBe('info');
    expect(entry.msg).toBe('connecting');
    expect(entry.cluster).toBe('blue');
    for (const secret of ['tok-123', 'key-456', 'abc', 'dd-789', 'aws-000', 'sess-111', 'top-level']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });
});
