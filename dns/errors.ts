/**
 * Coded errors of the DNS role. Messages are prefixed `dns:`.
 *
 * | code                   | when                                                         |
 * |------------------------|--------------------------------------------------------------|
 * | DNS_CONFIG_INVALID     | the config file or flags fail validation (every field listed) |
 * | DNS_CONFIG_UNREADABLE  | the config file cannot be read                                |
 * | DNS_NO_UPSTREAMS       | forwarding enabled but no upstream given or in resolv.conf    |
 * | DNS_LOOP_DETECTED      | the loop plugin saw its probe come back: forwarding to itself |
 * | DNS_LISTEN_FAILED      | the UDP or TCP socket could not be bound                      |
 * | DNS_WATCH_FAILED       | the Kubernetes API could not be watched                       |
 * | DNS_LAUNCH_SETTINGS    | (warning) started without launch.ts's node options/environment |
 */
export type DnsErrorCode = 'DNS_CONFIG_INVALID' | 'DNS_CONFIG_UNREADABLE' | 'DNS_NO_UPSTREAMS' | 'DNS_LOOP_DETECTED' | 'DNS_LISTEN_FAILED' | 'DNS_WATCH_FAILED' | 'DNS_LAUNCH_SETTINGS';

export class DnsError extends Error {
  constructor(readonly code: DnsErrorCode, message: string) {
    super(`dns: ${message}`);
    this.name = 'DnsError';
  }
}
