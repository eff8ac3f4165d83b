/**
 * controller/leader: running exactly one set of controllers among several API servers — leader
 * election on a coordination.k8s.io/v1 Lease through the public API — and an ApiClient that fails
 * over between several API server URLs (for node daemons and the controllers).
 */
export { LeaderElector, microTime, type LeaderElectionOptions } from './lease-elector.js';
export { FailoverApiClient } from './failover-client.js';
