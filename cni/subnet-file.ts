import { cniSchemas } from './lazy-schemas.js';

/**
 * The node subnet file: the contract between the overlay daemon (writer) and the CNI plugin
 * (reader), modelled on flannel's `/run/flannel/subnet.env`. One `KEY=VALUE` per line, `#`
 * comments allowed:
 *
 * ```
 * SEXTANT_NETWORK=10.244.0.0/16     # cluster pod CIDR (all nodes)
 * SEXTANT_SUBNET=10.244.1.1/24      # this node's pod CIDR, written as its gateway (first) IP
 * SEXTANT_MTU=1450                  # pod MTU: underlay MTU - 50 (VXLAN overhead)
 * SEXTANT_IPMASQ=true               # masquerade pod traffic leaving SEXTANT_NETWORK
 * ```
 *
 * The overlay writes it atomically (temp file + rename) so the plugin never reads half a file.
 */
export const DEFAULT_SUBNET_FILE = '/run/sextant/subnet.env';

export interface NodeSubnet {
  /** Cluster-wide pod CIDR, e.g. 10.244.0.0/16. */
  network: string;
  /** This node's pod CIDR in gateway form, e.g. 10.244.1.1/24. */
  subnet: string;
  mtu: number;
  ipMasq: boolean;
}

/** Loaded and built on first use: only a file the quick check does not confirm needs it. */
const buildSchema = () => cniSchemas().buildSubnetSchema();
let schema: ReturnType<typeof buildSchema> | undefined;

/** Parses the file's text; throws an Error naming every bad or missing key. */
export function parseSubnetFile(text: string): NodeSubnet {
  const kv: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq > 0) kv[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return quickSubnet(kv) ?? subnetFromSchema(kv);
}

/** The schema's verdict on the file's keys: the subnet, or an Error naming every bad key. */
export function subnetFromSchema(kv: Record<string, string>): NodeSubnet {
  const r = (schema ??= buildSchema()).safeParse(kv, { jitless: true }); // no parser codegen for one parse (see plugin/config.ts)
  if (!r.success) throw new Error(r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return {
    network: r.data.SEXTANT_NETWORK,
    subnet: r.data.SEXTANT_SUBNET,
    mtu: Number(r.data.SEXTANT_MTU),
    ipMasq: r.data.SEXTANT_IPMASQ === 'true',
  };
}

const CIDR4 = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;

/**
 * The usual case without building the schema (about 1 ms of a CNI run): every key present and
 * well-formed. Anything else is left to the schema, which names what is wrong.
 */
export function quickSubnet(kv: Record<string, string>): NodeSubnet | undefined {
  const { SEXTANT_NETWORK: network, SEXTANT_SUBNET: subnet, SEXTANT_MTU: mtu, SEXTANT_IPMASQ: masq } = kv;
  if (network === undefined || subnet === undefined || mtu === undefined || masq === undefined) return undefined;
  if (!CIDR4.test(network) || !CIDR4.test(subnet) || !/^\d+$/.test(mtu) || (masq !== 'true' && masq !== 'false')) return undefined;
  const n = Number(mtu);
  if (!(n >= 576 && n <= 65535)) return undefined;
  return { network, subnet, mtu: n, ipMasq: masq === 'true' };
}

/** The file's text for `s` (the overlay daemon writes this). */
export function formatSubnetFile(s: NodeSubnet): string {
  return `SEXTANT_NETWORK=${s.network}\nSEXTANT_SUBNET=${s.subnet}\nSEXTANT_MTU=${s.mtu}\nSEXTANT_IPMASQ=${s.ipMasq}\n`;
}
