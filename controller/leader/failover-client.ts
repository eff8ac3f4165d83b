/**
 * An ApiClient over several API server URLs (several `sextant server` processes on one etcd). The
 * failover itself lives in controller/api (ApiClient's server pool), so daemons get it from a
 * kubeconfig listing several servers; this class keeps the explicit constructor for callers that
 * hold a list of URLs.
 */
import { ApiClient, type ApiClientOptions } from '../api/client.js';
import { ApiError } from '../api/errors.js';

export class FailoverApiClient extends ApiClient {
  /** `servers` in order of preference; the other options apply to every server. */
  constructor(opts: Omit<ApiClientOptions, 'server' | 'servers'>, servers: string[]) {
    if (servers.length === 0) throw new ApiError(0, 'BadRequest', 'api: at least one server URL is needed');
    super({ ...opts, server: servers[0]!, servers: servers.slice(1) });
  }

  /** The URL requests currently go to. */
  get activeServer(): string {
    return this.server.toString();
  }
}
