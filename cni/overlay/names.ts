/**
 * Names the overlay owns on a node and on Node objects. Annotation keys are Sextant's own
 * (`sextant.dev/...`), playing the part of flannel's `flannel.alpha.coreos.com/*`.
 */

/** The VTEP's MAC address; reused when the device is recreated so peers' entries stay valid. */
export const ANNOTATION_VTEP_MAC = 'sextant.dev/vtep-mac';
/** The node's underlay address: where peers send its encapsulated frames. */
export const ANNOTATION_PUBLIC_IP = 'sextant.dev/public-ip';
/** Backend type (`vxlan`); a peer with another type is not programmed. */
export const ANNOTATION_BACKEND_TYPE = 'sextant.dev/backend-type';
/** Backend data as JSON: `{"vni":1,"port":8472}`; a peer with a different VNI is skipped. */
export const ANNOTATION_BACKEND_DATA = 'sextant.dev/backend-data';

export const BACKEND_TYPE = 'vxlan';

/** Chains the overlay writes (filter FORWARD accept, nat POSTROUTING masquerade). */
export const CHAIN_FORWARD = 'SX-OVERLAY-FWD';
export const CHAIN_POSTROUTING = 'SX-OVERLAY-POSTRTG';

/**
 * The VXLAN device name: `sx-vxlan.<vni>`, or `sx-vx.<vni>` when that would pass the kernel's
 * 15-character limit (VNIs above 99999).
 */
export function vxlanDeviceName(vni: number): string {
  const long = `sx-vxlan.${vni}`;
  return long.length <= 15 ? long : `sx-vx.${vni}`;
}
