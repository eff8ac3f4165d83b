/**
 * Draws a cluster's topology as a standalone SVG (hand-written, no dependency): the machine's own
 * namespace with kubectl and the loopback forwarder, the underlay switch, each host with its
 * underlay address, pod CIDR and running pods, and the VXLAN mesh between the nodes. Pure: a
 * ClusterStatus in, SVG text out, so it is tested without a cluster.
 */
import { vxlanDeviceName } from '../cni/overlay/names.js';
import type { ClusterStatus, HostStatus } from './status.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const BOX_W = 230;
const GAP = 40;
const MARGIN = 30;
const POD_ROW = 18;
const MAX_PODS = 14;
const COLORS = { 'control-plane': '#e8eefc', worker: '#eaf6ea', outside: '#fdf1e3' } as const;

function text(x: number, y: number, s: string, o: { size?: number; weight?: string; anchor?: string; fill?: string; mono?: boolean } = {}): string {
  return `<text x="${x}" y="${y}" font-size="${o.size ?? 12}"${o.weight ? ` font-weight="${o.weight}"` : ''}${o.anchor ? ` text-anchor="${o.anchor}"` : ''} fill="${o.fill ?? '#1b1f24'}" font-family="${o.mono ? 'monospace' : 'sans-serif'}">${esc(s)}</text>`;
}

const rect = (x: number, y: number, w: number, h: number, fill: string, stroke = '#57606a', extra = ''): string =>
  `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="6" fill="${fill}" stroke="${stroke}"${extra}/>`;

const line = (x1: number, y1: number, x2: number, y2: number, stroke = '#57606a', extra = ''): string =>
  `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${stroke}" stroke-width="1.5"${extra}/>`;

function hostHealth(h: HostStatus): { label: string; ok: boolean } {
  if (!h.netnsPresent) return { label: 'netns missing', ok: false };
  if (!h.ipPresent) return { label: 'address missing', ok: false };
  if (h.node) return { label: h.node.ready ? 'Ready' : 'NotReady', ok: h.node.ready };
  return { label: 'up', ok: true };
}

export function renderSvg(st: ClusterStatus): string {
  const hosts = st.hosts;
  const podsOf = (h: HostStatus) => st.pods.filter((p) => p.node === h.name);
  const boxH = (h: HostStatus) => 96 + (h.node ? 18 + Math.min(podsOf(h).length, MAX_PODS + 1) * POD_ROW : 0);
  const maxH = Math.max(...hosts.map(boxH));
  const width = Math.max(MARGIN * 2 + hosts.length * BOX_W + (hosts.length - 1) * GAP, 760);
  const barY = 170;
  const boxY = barY + 60;
  const nodes = hosts.filter((h) => h.node);
  const meshY = boxY + maxH + 24;
  const height = meshY + (nodes.length > 1 ? 30 + nodes.length * 12 : 0) + 36;
  const xOf = (i: number) => MARGIN + i * (BOX_W + GAP);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`);
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(text(MARGIN, 28, `sextant cluster "${st.name}"`, { size: 18, weight: 'bold' }));
  out.push(text(MARGIN, 48, `pods ${st.clusterCIDR} · services ${st.serviceCIDR} · API ${st.apiHealthy ? 'healthy' : 'NOT healthy'}`, { size: 12, fill: '#57606a' }));

  // The machine's own namespace: kubectl → 127.0.0.1:port → forwarder → unix socket → server.
  out.push(rect(MARGIN, 64, 420, 62, '#f6f8fa', '#8c959f', ' stroke-dasharray="4 3"'));
  out.push(text(MARGIN + 10, 82, "this machine's own network namespace (never changed)", { size: 11, fill: '#57606a' }));
  out.push(text(MARGIN + 10, 102, `kubectl → 127.0.0.1:${st.apiPort ?? '?'} → forwarder${st.forwarder ? ` (pid ${st.forwarder.pid})` : ''}`, { size: 12, mono: true }));
  out.push(text(MARGIN + 10, 118, '→ unix socket api.sock → sextant server', { size: 12, mono: true }));
  const cpIndex = hosts.findIndex((h) => h.role === 'control-plane');
  if (cpIndex >= 0) {
    const cx = xOf(cpIndex) + BOX_W / 2 + 60;
    out.push(`<path d="M ${MARGIN + 420} 110 C ${MARGIN + 470} 110, ${cx} 140, ${cx} ${boxY}" fill="none" stroke="#8250df" stroke-width="1.5" stroke-dasharray="5 3"/>`);
  }

  // The underlay switch.
  out.push(rect(MARGIN, barY, width - 2 * MARGIN, 26, '#d0d7de'));
  out.push(text(MARGIN + 10, barY + 17, `underlay ${st.subnet} — bridge br0 in netns ${st.underlayNetns}`, { size: 12, weight: 'bold' }));

  hosts.forEach((h, i) => {
    const x = xOf(i);
    const health = hostHealth(h);
    out.push(line(x + BOX_W / 2, barY + 26, x + BOX_W / 2, boxY));
    out.push(text(x + BOX_W / 2 + 6, boxY - 12, `eth0 ${h.ip}`, { size: 11, mono: true }));
    out.push(rect(x, boxY, BOX_W, boxH(h), COLORS[h.role]));
    out.push(text(x + 10, boxY + 20, h.name, { size: 13, weight: 'bold' }));
    out.push(text(x + 10, boxY + 37, `${h.role} · netns ${h.netns}`, { size: 11, fill: '#57606a' }));
    out.push(`<circle cx="${x + BOX_W - 14}" cy="${boxY + 15}" r="5" fill="${health.ok ? '#2da44e' : '#cf222e'}"/>`);
    out.push(text(x + BOX_W - 24, boxY + 19, health.label, { size: 10, anchor: 'end', fill: health.ok ? '#1a7f37' : '#cf222e' }));
    const daemons = h.daemons.map((d) => `${d.id.replace(/\/.*/, '')}${d.running ? '' : ' (dead)'}`).join(', ');
    out.push(text(x + 10, boxY + 55, daemons ? `runs: ${daemons}` : h.role === 'outside' ? 'a client on the node network' : 'no daemons', { size: 11 }));
    if (h.node) {
      out.push(text(x + 10, boxY + 72, `pod CIDR ${h.node.podCIDR ?? '(none yet)'}`, { size: 11, mono: true }));
      out.push(text(x + 10, boxY + 88, `${vxlanDeviceName(1)}${h.node.vtep ? ` ${h.node.vtep}` : ''}`, { size: 10, mono: true, fill: '#57606a' }));
      if (h.node.taints.length > 0) out.push(text(x + 10, boxY + 104, `taint ${h.node.taints.join(', ').replace('node-role.kubernetes.io/', '')}`, { size: 10, fill: '#9a6700' }));
      const pods = podsOf(h);
      pods.slice(0, MAX_PODS).forEach((p, k) => {
        const y = boxY + 114 + k * POD_ROW;
        out.push(rect(x + 8, y, BOX_W - 16, POD_ROW - 3, p.ready ? '#ffffff' : '#fff8c5', '#afb8c1'));
        const label = `${p.ip || '-'}  ${p.namespace === 'default' ? '' : `${p.namespace}/`}${p.name}`;
        out.push(text(x + 14, y + 11, label.length > 34 ? `${label.slice(0, 33)}…` : label, { size: 10, mono: true }));
      });
      if (pods.length > MAX_PODS) out.push(text(x + 14, boxY + 126 + MAX_PODS * POD_ROW, `+ ${pods.length - MAX_PODS} more pods`, { size: 10, fill: '#57606a' }));
    }
  });

  // The VXLAN mesh: one tunnel per pair of nodes, drawn as arcs under the boxes.
  if (nodes.length > 1) {
    const idx = nodes.map((n) => hosts.indexOf(n));
    const bottom = (i: number) => boxY + boxH(hosts[i]!);
    let k = 0;
    for (let a = 0; a < idx.length; a++) {
      for (let b = a + 1; b < idx.length; b++) {
        const x1 = xOf(idx[a]!) + BOX_W / 2;
        const x2 = xOf(idx[b]!) + BOX_W / 2;
        const depth = meshY + 14 + (b - a) * 16 + (k++ % 3) * 3;
        out.push(`<path d="M ${x1} ${bottom(idx[a]!)} L ${x1} ${meshY} Q ${(x1 + x2) / 2} ${depth + 20}, ${x2} ${meshY} L ${x2} ${bottom(idx[b]!)}" fill="none" stroke="#0969da" stroke-width="1.2" stroke-dasharray="6 3"/>`);
      }
    }
    out.push(text(MARGIN, height - 18, `VXLAN mesh (VNI 1, UDP 8472): ${nodes.length * (nodes.length - 1) / 2} tunnels between ${nodes.length} nodes, carried over the underlay`, { size: 12, fill: '#0969da' }));
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
