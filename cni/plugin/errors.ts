/**
 * CNI plugin errors. Every failure leaves the plugin as a spec error document
 * (`{cniVersion, code, msg, details}` on stdout, exit 1), so a runtime can tell a retryable
 * failure from a configuration mistake.
 *
 * | code | meaning (spec 1.1.0)                                   |
 * |------|--------------------------------------------------------|
 * | 1    | incompatible CNI version                               |
 * | 2    | unsupported field in the network configuration         |
 * | 3    | container unknown or does not exist                    |
 * | 4    | invalid necessary environment variable                 |
 * | 5    | I/O failure (stdin, files)                             |
 * | 6    | failed to decode content (stdin is not JSON)           |
 * | 7    | invalid network configuration                          |
 * | 8    | invalid network namespace (e.g. the plugin's own)      |
 * | 11   | try again later (transient)                            |
 * | 50   | STATUS: the plugin is not available (cannot ADD)       |
 * | 100  | kernel operation failed (link, address, route)         |
 * | 101  | no addresses available in the range                    |
 * | 102  | delegated IPAM plugin failed                           |
 * | 103  | CHECK found the attachment differs from prevResult     |
 * | 104  | duplicate allocation for this container and interface  |
 * | 105  | iptables (ipMasq) failed                               |
 * | 999  | internal error                                         |
 */
export const CniCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnv: 4,
  Io: 5,
  Decode: 6,
  InvalidConfig: 7,
  InvalidNetns: 8,
  TryAgainLater: 11,
  NotAvailable: 50,
  Kernel: 100,
  NoAddresses: 101,
  DelegateFailed: 102,
  CheckFailed: 103,
  DuplicateAllocation: 104,
  Iptables: 105,
  Internal: 999,
} as const;
export type CniCodeValue = (typeof CniCode)[keyof typeof CniCode];

/** A failure with its spec code; `msg` is short, `details` carries the cause. */
export class CniError extends Error {
  constructor(
    readonly code: CniCodeValue | number,
    msg: string,
    readonly details = '',
  ) {
    super(msg);
    this.name = 'CniError';
  }
}

/** The spec error document for `err` in the request's version. */
export function errorDocument(err: unknown, cniVersion: string): { cniVersion: string; code: number; msg: string; details?: string } {
  if (err instanceof CniError)
    return { cniVersion, code: err.code, msg: `sextant: ${err.message}`, ...(err.details ? { details: err.details } : {}) };
  const e = err instanceof Error ? err : new Error(String(err));
  return { cniVersion, code: CniCode.Internal, msg: `sextant: ${e.message}`, details: e.stack ?? '' };
}
