/**
 * A hand-written check that confirms a well-formed network configuration and builds the object
 * the zod schema in config.ts would return for it (same keys, same order, same defaults), without
 * building or running zod: the schema costs about 2 ms of a plugin run that lasts ~15 ms past
 * Node's start-up. It only ever confirms: anything it does not recognise as valid (a wrong type,
 * a failed pattern, a value it is unsure of) returns undefined and the zod schema decides, so
 * verdicts and error messages come from one place. config-fast.test.ts compares both on every
 * one-field mutation of a set of configurations.
 */

type Obj = Record<string, unknown>;
/** A field's reader: the parsed value, or FAIL when the input is not confirmed. */
type Reader = (v: unknown) => unknown;

const FAIL = Symbol('not confirmed');
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const CIDR4 = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const PLUGIN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str: Reader = (v) => (typeof v === 'string' ? v : FAIL);
const bool: Reader = (v) => (typeof v === 'boolean' ? v : FAIL);
const matching = (re: RegExp): Reader => (v) => (typeof v === 'string' && re.test(v) ? v : FAIL);
const absPath: Reader = (v) => (typeof v === 'string' && v.startsWith('/') ? v : FAIL);
const ifName: Reader = (v) =>
  typeof v === 'string' && v.length >= 1 && v.length <= 15 && v !== '.' && v !== '..' && !/[/:\s]/.test(v) && !v.startsWith('-') ? v : FAIL;
const mtu: Reader = (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 576 && v <= 65535 ? v : FAIL);

const arrayOf = (item: Reader, minLength = 0): Reader => (v) => {
  if (!Array.isArray(v) || v.length < minLength) return FAIL;
  const out: unknown[] = [];
  for (const x of v) {
    const r = item(x);
    if (r === FAIL) return FAIL;
    out.push(r);
  }
  return out;
};

interface Field {
  read: Reader;
  /** Present when the field has a default: the value used when it is missing. */
  fallback?: unknown;
  /** zod's non-optional fields: missing means not confirmed. */
  required?: true;
}

/**
 * An object schema: known keys in declaration order (missing optional ones left out, missing
 * defaulted ones set), then — for a loose object — the other keys as they came. A strict zod
 * object drops unknown keys, so `loose: false` does too.
 */
const objectOf = (shape: Record<string, Field | Reader>, loose: boolean): Reader => {
  const fields = Object.entries(shape).map(([k, f]) => [k, typeof f === 'function' ? { read: f } : f] as const);
  return (v) => {
    if (!isObj(v)) return FAIL;
    const out: Obj = {};
    for (const [k, f] of fields) {
      if (v[k] === undefined) {
        if (f.required) return FAIL;
        if ('fallback' in f) out[k] = f.fallback;
        continue;
      }
      const r = f.read(v[k]);
      if (r === FAIL) return FAIL;
      out[k] = r;
    }
    if (loose) for (const k of Object.keys(v)) if (!shape[k] && !(k in out)) out[k] = v[k];
    return out;
  };
};

/** A field that must be present. */
const req = (read: Reader): Field => ({ read, required: true });

const range = objectOf({ subnet: req(matching(CIDR4)), rangeStart: matching(IPV4), rangeEnd: matching(IPV4), gateway: matching(IPV4) }, false);
const route = objectOf({ dst: req(matching(CIDR4)), gw: matching(IPV4) }, false);
const attachment = objectOf({ containerID: req(str), ifname: req(str) }, false);

const ipam = objectOf(
  {
    type: matching(PLUGIN),
    ranges: arrayOf(arrayOf(range, 1)),
    subnet: matching(CIDR4),
    rangeStart: matching(IPV4),
    rangeEnd: matching(IPV4),
    gateway: matching(IPV4),
    routes: arrayOf(route),
    dataDir: absPath,
  },
  true,
);

const dns = objectOf({ nameservers: arrayOf(str), domain: str, search: arrayOf(str), options: arrayOf(str) }, false);
const prevResult: Reader = (v) => (isObj(v) ? { ...v } : FAIL);

const config = objectOf(
  {
    cniVersion: str,
    cniVersions: arrayOf(str),
    name: req(matching(NAME)),
    type: req(str),
    bridge: { read: ifName, fallback: 'sx0' },
    isGateway: { read: bool, fallback: true },
    isDefaultGateway: { read: bool, fallback: true },
    ipMasq: bool,
    hairpinMode: { read: bool, fallback: false },
    promiscMode: { read: bool, fallback: false },
    mtu,
    subnetFile: absPath,
    ipam,
    dns,
    prevResult,
    'cni.dev/valid-attachments': arrayOf(attachment),
    'cni.dev/attachments': arrayOf(attachment),
    disableCheck: bool,
    disableGC: bool,
  },
  true,
);

/** The parsed configuration when `raw` is confirmed well-formed, else undefined (ask zod). */
export function quickConfig(raw: unknown): Obj | undefined {
  const r = config(raw);
  return r === FAIL ? undefined : (r as Obj);
}
