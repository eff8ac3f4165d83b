/**
 * Coded errors of the overlay daemon. Every message starts with `overlay:` so a log line says
 * which role failed.
 *
 * | code                     | meaning                                                          |
 * |--------------------------|------------------------------------------------------------------|
 * | OVERLAY_NO_NODE_IP       | no --iface-addr and the Node has no InternalIP to use             |
 * | OVERLAY_NO_UNDERLAY      | no link in the node namespace carries the node IP                 |
 * | OVERLAY_BAD_POD_CIDR     | the Node's spec.podCIDR is not an IPv4 CIDR inside the cluster CIDR|
 * | OVERLAY_DEVICE_FAILED    | the VXLAN device could not be created or configured              |
 * | OVERLAY_SYNC_FAILED      | applying neighbour/FDB/route changes failed                       |
 * | OVERLAY_IPTABLES_FAILED  | the SX-OVERLAY-* chains could not be written                      |
 * | OVERLAY_SUBNET_FILE      | the node subnet file could not be written                         |
 * | OVERLAY_API              | the API server refused an update of the Node                     |
 */
export type OverlayErrorCode =
  | 'OVERLAY_NO_NODE_IP'
  | 'OVERLAY_NO_UNDERLAY'
  | 'OVERLAY_BAD_POD_CIDR'
  | 'OVERLAY_DEVICE_FAILED'
  | 'OVERLAY_SYNC_FAILED'
  | 'OVERLAY_IPTABLES_FAILED'
  | 'OVERLAY_SUBNET_FILE'
  | 'OVERLAY_API';

export class OverlayError extends Error {
  constructor(
    readonly code: OverlayErrorCode,
    message: string,
    opts?: { cause?: unknown },
  ) {
    super(`overlay: ${message}`, opts);
    this.name = 'OverlayError';
  }
}
