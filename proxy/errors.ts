/**
 * Coded errors of the service proxy. Every message starts with `proxy:`.
 *
 * | code                   | when                                                           |
 * |------------------------|----------------------------------------------------------------|
 * | PROXY_RESTORE_FAILED   | iptables-restore refused a payload (next sync will be full)    |
 * | PROXY_KERNEL_READ      | iptables-save / listing chains failed                          |
 * | PROXY_CLEANUP_FAILED   | --cleanup could not remove what Sextant created                |
 * | PROXY_TRACE_INPUT      | `sextant trace` got an unreadable dump or bad packet fields    |
 * | PROXY_API_UNAVAILABLE  | the API client / informer could not be created                 |
 */
export type ProxyErrorCode = 'PROXY_RESTORE_FAILED' | 'PROXY_KERNEL_READ' | 'PROXY_CLEANUP_FAILED' | 'PROXY_TRACE_INPUT' | 'PROXY_API_UNAVAILABLE';

export class ProxyError extends Error {
  constructor(
    readonly code: ProxyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`proxy: ${message}`, options);
    this.name = 'ProxyError';
  }
}
