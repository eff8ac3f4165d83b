/**
 * Per-phase timestamps for one plugin run, written to stderr at exit when `SX_CNI_TRACE=1`
 * (stdout belongs to the CNI result). Times are ms since the process started
 * (performance.timeOrigin), so start-up before the bundle runs shows as the first mark.
 * Costs one env lookup when off.
 */
const enabled = !!process.env.SX_CNI_TRACE;
const marks: [string, number][] = [];

export function mark(label: string): void {
  if (!enabled) return;
  if (!marks.length) process.once('exit', flush);
  marks.push([label, performance.now()]);
}

function flush(): void {
  const cpu = process.cpuUsage();
  let prev = 0;
  const lines = marks.map(([label, t]) => {
    const line = `sx-cni-trace ${t.toFixed(2).padStart(8)} ms  +${(t - prev).toFixed(2).padStart(7)}  ${label}`;
    prev = t;
    return line;
  });
  lines.push(`sx-cni-trace exit ${performance.now().toFixed(2)} ms  cpu user ${(cpu.user / 1000).toFixed(1)} ms sys ${(cpu.system / 1000).toFixed(1)} ms`);
  process.stderr.write(lines.join('\n') + '\n');
}

mark('bundle evaluating');
