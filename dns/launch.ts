/**
 * How a `sextant dns` process is started: the node options and environment that V8 and glibc read
 * only at process start, so the daemon cannot set them on itself. The cluster's DNS Deployment
 * (cluster/manifests.ts) and the DNS benchmark both start it with exactly these; the daemon logs
 * DNS_LAUNCH_SETTINGS when one is missing (it still runs, with more memory).
 *
 * Measured at 10,000 services, `--workers 2` (see README, Memory):
 * - `--max-semi-space-size=1`: the main isolate's young generation stays at 1 MB semi-spaces
 *   instead of growing to 16 MB ones (32 MB of new space) during the initial list: ~30 MB RSS.
 *   `v8.setFlagsFromString` from inside the daemon has no effect on it (the limit is fixed when the
 *   heap is set up; measured), nor does `--semi-space-growth-factor` set at run time.
 * - `MALLOC_ARENA_MAX=2`: two glibc malloc arenas for all threads instead of up to 8 per core; V8's
 *   and libuv's helper threads kept 1-7 MB each in their own: ~8-11 MB RSS. One arena saved 3 MB
 *   more but cost 4-5% UDP throughput (the UDP threads then contend for one arena lock on every
 *   datagram's receive buffer); two measured as fast as the default (A/B, load 2.5).
 */

/** Node options (before the script) for a `sextant dns` process. */
export const DNS_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=1'];

/** Environment variables for a `sextant dns` process. */
export const DNS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** The argv that runs `sextant dns` (its flags follow) with `node` and the bundle `script`. */
export function dnsArgv(node: string, script: string): string[] {
  return [node, ...DNS_NODE_OPTIONS, script, 'dns'];
}

/**
 * Which launch settings this process lacks: a node option counts when given on the command line
 * (`execArgv`) or in NODE_OPTIONS, with any value (an operator may choose another size); an
 * environment variable counts when set.
 */
export function missingLaunchSettings(execArgv: readonly string[], env: Readonly<Record<string, string | undefined>>): string[] {
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].filter(Boolean).map((a) => a.split('=')[0]!.replace(/_/g, '-'));
  const missing = DNS_NODE_OPTIONS.filter((o) => !given.includes(o.split('=')[0]!));
  for (const k of Object.keys(DNS_ENV)) if (env[k] === undefined || env[k] === '') missing.push(`${k}=${DNS_ENV[k]!}`);
  return missing;
}
