/**
 * Coded errors of the local cluster (`sextant cluster ...`). Every message starts with
 * `cluster:`; `cluster up` prints the failed step beside it.
 *
 * | code                     | when                                                                  |
 * |--------------------------|-----------------------------------------------------------------------|
 * | CLUSTER_INVALID_NAME     | `--name` is not a short DNS label (it becomes part of netns names)     |
 * | CLUSTER_EXISTS           | `cluster up` found a state file or namespaces for the same name        |
 * | CLUSTER_NOT_FOUND        | down/status/exec found no state file for the name                      |
 * | CLUSTER_STATE_INVALID    | the state file does not parse (the field is named)                     |
 * | CLUSTER_NOT_ROOT         | namespaces need root (CAP_SYS_ADMIN + CAP_NET_ADMIN)                   |
 * | CLUSTER_HOST_SETUP       | a namespace, veth, bridge or address could not be made                 |
 * | CLUSTER_PROCESS_FAILED   | a daemon (server, agent, forwarder) exited or never became healthy     |
 * | CLUSTER_TIMEOUT          | a step (nodes Ready, DNS answering) did not finish in time             |
 * | CLUSTER_UNKNOWN_HOST     | `cluster exec` got a host that is neither `outside`, a node nor a pod  |
 * | CLUSTER_KUBECONFIG_EXISTS| `--kubeconfig FILE` exists and was not written by this cluster         |
 */
export type ClusterErrorCode =
  | 'CLUSTER_INVALID_NAME'
  | 'CLUSTER_EXISTS'
  | 'CLUSTER_NOT_FOUND'
  | 'CLUSTER_STATE_INVALID'
  | 'CLUSTER_NOT_ROOT'
  | 'CLUSTER_HOST_SETUP'
  | 'CLUSTER_PROCESS_FAILED'
  | 'CLUSTER_TIMEOUT'
  | 'CLUSTER_UNKNOWN_HOST'
  | 'CLUSTER_KUBECONFIG_EXISTS';

export class ClusterError extends Error {
  /** Set once the error was shown to the user (`cluster up` prints the failed step itself). */
  reported = false;

  constructor(
    readonly code: ClusterErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`cluster: ${message}`, options);
    this.name = 'ClusterError';
  }
}

export const isClusterError = (err: unknown, code?: ClusterErrorCode): err is ClusterError =>
  err instanceof ClusterError && (code === undefined || err.code === code);
