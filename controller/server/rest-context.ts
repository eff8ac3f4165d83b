/** What every REST handler gets: the decoded request, the resolved kind and the server's parts. */
import type http from 'node:http';
import type { KindInfo } from '../api/kinds.js';
import type { UserInfo } from './identity.js';
import type { ResourceRequest } from './request-info.js';
import type { ResourceRegistry } from './resource-registry.js';
import type { TableConverter } from './table-output.js';
import type { OpenWatch } from './watch-stream.js';

export interface WatchSettings {
  bookmarkIntervalMs: number;
  /** Watches without timeoutSeconds end after a random time in [min, 2 × min), as Kubernetes does. */
  minTimeoutSeconds: number;
}

export interface RestContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  info: ResourceRequest;
  kind: KindInfo;
  query: URLSearchParams;
  user: UserInfo;
  registry: ResourceRegistry;
  table: TableConverter;
  watches: Set<OpenWatch>;
  watch: WatchSettings;
}
