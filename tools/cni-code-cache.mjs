// Wraps the CNI bundle with a V8 code cache so the per-pod process skips compiling it.
//
// The plugin is a fresh Node process per pod; V8 compiles the bundle lazily, function by function,
// as the run reaches it. A code cache produced after a training run holds the bytecode of every
// function that run compiled, so a real run deserializes instead of compiling. The cache lives in
// the same file as the code (base64), keeping the plugin one self-contained file. V8 ignores a
// cache made by another V8 version or with other flags (`cachedDataRejected`); the plugin then
// compiles as usual, only slower.
//
// Training runs the bundle in a child Node with inputs that touch nothing outside a temp dir: a
// whole ADD + DEL whose kernel access is simulated (process.dlopen gives the bundle a fake native
// helper whose netlink socket acknowledges everything, and the `require` the bundle gets answers
// child_process.spawnSync with what ip would print), so the kernel-side code paths are in the
// cache too, and VERSION; the IPAM reservations go to the temp dir. Only the usual path is
// trained: V8 deserialises the whole cache on every run, so code for rare paths (STATUS, GC,
// malformed input and zod, which only explains bad input) costs each ADD more as cache than it
// saves the rare run as compile time (ADD - bare node p50 14.9 -> 13.0 ms with the lazy schemas,
// the cache 281 -> 215 KB of base64). Each run
// gets its env in process.env and its stdin through that `require` answering fs.readFileSync(0).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) {';
const WRAP_TAIL = '\n})';

const TRAINER = String.raw`
const fs = require('node:fs');
const vm = require('node:vm');
const [srcPath, outPath, dir] = process.argv.slice(1);
const source = fs.readFileSync(srcPath, 'utf8');
const script = new vm.Script(source, { filename: srcPath });
const conf = (extra) => JSON.stringify({ cniVersion: '1.1.0', name: 'sxtrain', type: 'sextant', bridge: 'sxtrain0', isGateway: true,
  ipMasq: false, hairpinMode: true, mtu: 1400, subnetFile: dir + '/subnet.env', dns: { nameservers: ['10.96.0.10'], search: ['svc.cluster.local'] },
  ipam: { dataDir: dir + '/ipam', ranges: [[{ subnet: '10.99.0.0/28', gateway: '10.99.0.1' }]], routes: [{ dst: '0.0.0.0/0' }] }, ...extra });
fs.writeFileSync(dir + '/subnet.env', 'SEXTANT_NETWORK=10.99.0.0/16\nSEXTANT_SUBNET=10.99.0.1/28\nSEXTANT_MTU=1450\nSEXTANT_IPMASQ=false\n');
const base = { CNI_CONTAINERID: 'train', CNI_NETNS: dir + '/no-such-netns', CNI_IFNAME: 'eth0', CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=p', CNI_PATH: dir };
// A regular file stands in for the pod netns: it exists and is not our own namespace.
fs.writeFileSync(dir + '/pod-netns', '');
const sim = { ...base, CNI_NETNS: dir + '/pod-netns' };
const ipShow = JSON.stringify([{ ifindex: 3, ifname: 'sxtrain0', flags: ['BROADCAST', 'UP'], mtu: 1400, address: '02:00:00:00:00:01', linkinfo: { info_kind: 'bridge' } }]);
const fakeChildProcess = {
  ...require('node:child_process'),
  spawnSync: (file, argv) => {
    const out = Buffer.from(argv.includes('-j') ? ipShow : '');
    return { pid: 0, status: 0, signal: null, error: undefined, stdout: out, stderr: Buffer.alloc(0), output: [null, out, Buffer.alloc(0), null, Buffer.from('L')] };
  },
};
// The native helper (setns, flock, netlink socket) is never loaded here: the build runs in the
// machine's own namespace. process.dlopen hands the bundle a fake that acknowledges every netlink
// request and answers a link query with the training bridge, so ADD and DEL run their whole path.
const nlAnswer = (req) => {
  const type = req.readUInt16LE(4), seq = req.readUInt32LE(8);
  const hdr = (len, t, flags) => { const h = Buffer.alloc(16); h.writeUInt32LE(len, 0); h.writeUInt16LE(t, 4); h.writeUInt16LE(flags, 6); h.writeUInt32LE(seq, 8); return h; };
  const attr = (t, p) => { const a = Buffer.alloc((4 + p.length + 3) & ~3); a.writeUInt16LE(4 + p.length, 0); a.writeUInt16LE(t, 2); p.copy(a, 4); return a; };
  if (type !== 18) return Buffer.concat([hdr(20, 2, 0x100), Buffer.alloc(4)]);
  const ifi = Buffer.alloc(16); ifi.writeInt32LE(3, 4); ifi.writeUInt32LE(1, 8);
  const mtu = Buffer.alloc(4); mtu.writeUInt32LE(1400);
  const body = Buffer.concat([ifi, attr(3, Buffer.from('sxtrain0\0')), attr(4, mtu), attr(1, Buffer.from([2, 0, 0, 0, 0, 1])), attr(18, attr(1, Buffer.from('bridge\0')))]);
  return Buffer.concat([hdr(16 + body.length, 16, 0), body]);
};
let nlPending = [];
const fakeSys = {
  setns: () => undefined,
  flock: () => undefined,
  nlOpen: () => fs.openSync(dir + '/fake-netlink', 'w'),
  // One answer per message: the plugin sends several requests in one datagram.
  nlSend: (fd, msg) => {
    for (let off = 0; off + 16 <= msg.length; off += (msg.readUInt32LE(off) + 3) & ~3) nlPending.push(nlAnswer(msg.subarray(off)));
  },
  nlRecv: () => nlPending.shift() ?? Buffer.alloc(0),
};
process.dlopen = (mod) => {
  mod.exports = fakeSys;
};
// The build runs in the machine's own namespace: the simulated ADD must not set ip_forward (or
// anything else under /proc or /sys) there, so those writes go nowhere; others are the temp dir's.
const safeWrite = (p, ...a) => {
  if (/^\/(proc|sys)\//.test(String(p))) return;
  if (!String(p).startsWith(dir + '/')) throw new Error('training wrote outside its temp dir: ' + p);
  return fs.writeFileSync(p, ...a);
};
const runs = [
  [{ ...sim, CNI_COMMAND: 'ADD' }, conf({})],
  [{ ...sim, CNI_COMMAND: 'DEL' }, conf({})],
  [{ CNI_COMMAND: 'VERSION' }, conf({})],
];
const realWrite = process.stdout.write.bind(process.stdout);
// The plugin ends its process with process.exit once the result is out; here the runs share one.
process.exit = () => undefined;
(async () => {
  let out = '';
  for (const [env, stdin] of runs) {
    for (const k of Object.keys(process.env)) delete process.env[k];
    Object.assign(process.env, env);
    const req = (id) =>
      id === 'fs' || id === 'node:fs'
        ? { ...fs, readFileSync: (p, ...a) => (p === 0 ? stdin : fs.readFileSync(p, ...a)), writeFileSync: safeWrite, writeSync: (fd, b, ...a) => (fd === 1 ? ((out += String(b)), b.length) : fs.writeSync(fd, b, ...a)) }
      : id === 'child_process' || id === 'node:child_process' ? fakeChildProcess
      : require(id);
    const mod = { exports: {} };
    process.stdout.write = () => true;
    script.runInThisContext()(mod.exports, req, mod, srcPath, dir);
    await new Promise((r) => setTimeout(r, 150));
    // A run that failed half-way trains the error path instead of the usual one: the cache
    // would quietly miss the functions a real ADD needs. Fail the build instead.
    if (env.CNI_COMMAND === 'ADD' && !/"ips":\[\{"address"/.test(out)) throw new Error('code cache training: the simulated ADD did not succeed: ' + out);
    out = '';
    process.stdout.write = realWrite;
    process.exitCode = 0;
  }
  fs.writeFileSync(outPath, script.createCachedData());
})();
`;

/** Rewrites the CNI bundle at `file` (shebang + CJS code) into loader + code + code cache. */
export function addCodeCache(file) {
  const text = readFileSync(file, 'utf8');
  const nl = text.indexOf('\n');
  const shebang = text.slice(0, nl);
  const source = WRAP_HEAD + text.slice(nl + 1) + WRAP_TAIL;
  const dir = mkdtempSync(join(tmpdir(), 'sx-cni-cache-'));
  try {
    writeFileSync(join(dir, 'src.js'), source);
    execFileSync(process.execPath, ['-e', TRAINER, join(dir, 'src.js'), join(dir, 'cache.bin'), dir], { stdio: ['ignore', 'ignore', 'inherit'], env: { PATH: process.env.PATH ?? '' } });
    const cache = readFileSync(join(dir, 'cache.bin')).toString('base64');
    writeFileSync(
      file,
      `${shebang}
// Sextant CNI plugin. The code is the string below, compiled with the V8 code cache made at build
// time (tools/cni-code-cache.mjs); Node ignores a cache that does not fit its V8 and compiles.
'use strict';
new (require('node:vm').Script)(${JSON.stringify(source)}, { filename: __filename, cachedData: Buffer.from(${JSON.stringify(cache)}, 'base64') })
  .runInThisContext()(exports, require, module, __filename, __dirname);
`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
