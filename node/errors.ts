/**
 * Coded errors of the node agent; messages start with `node:`.
 *
 * | code                 | meaning                                                                |
 * |----------------------|------------------------------------------------------------------------|
 * | NODE_NO_CNI_CONFIG   | no usable `.conflist`/`.conf` in the CNI conf dir                      |
 * | NODE_CNI_FAILED      | a CNI plugin answered an error (its code and msg are in the message)    |
 * | NODE_NETNS_FAILED    | the pod network namespace could not be created or removed              |
 * | NODE_START_FAILED    | a container process could not be started (command missing, bad cwd)   |
 * | NODE_STATE_CORRUPT   | a pod state file in the state dir does not parse (it is set aside)      |
 * | NODE_API             | the API server refused a Node, Lease or Pod status write               |
 * | NODE_SERVICE_ACCOUNT | no service-account token for a pod (TokenRequest refused or malformed)  |
 */
export type NodeErrorCode = 'NODE_NO_CNI_CONFIG' | 'NODE_CNI_FAILED' | 'NODE_NETNS_FAILED' | 'NODE_START_FAILED' | 'NODE_STATE_CORRUPT' | 'NODE_API' | 'NODE_SERVICE_ACCOUNT';

export class NodeAgentError extends Error {
  constructor(
    readonly code: NodeErrorCode,
    message: string,
    opts?: { cause?: unknown },
  ) {
    super(`node: ${message}`, opts);
    this.name = 'NodeAgentError';
  }
}
