import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startForwarder } from './forwarder.js';

test('forwarder: loopback TCP reaches an HTTP server on a unix socket, streams included', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sx-fwd-'));
  const socket = join(dir, 'api.sock');
  const server = http.createServer((req, res) => {
    if (req.url === '/stream') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"n":1}\n');
      setTimeout(() => res.end('{"n":2}\n'), 50);
    } else res.end(`hello ${req.method} ${req.url}`);
  });
  await new Promise<void>((r) => server.listen(socket, () => r()));
  const fw = await startForwarder({ host: '127.0.0.1', port: 0, socket });
  try {
    const get = (path: string) =>
      new Promise<string>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: fw.port, path, agent: false }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(body));
        }).on('error', reject);
      });
    const answers = await Promise.all([get('/a'), get('/b'), get('/stream')]);
    assert.deepEqual(answers, ['hello GET /a', 'hello GET /b', '{"n":1}\n{"n":2}\n']);
    server.close();
    rmSync(socket, { force: true });
    await assert.rejects(get('/gone'), /socket hang up|ECONNRESET/);
  } finally {
    await fw.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
