/**
 * Coded errors of the controllers (controller/controllers).
 *
 * | code            | thrown by                        | meaning                                              |
 * |-----------------|----------------------------------|------------------------------------------------------|
 * | InvalidRange    | parseCidr, parsePortRange, flags | a CIDR or port range flag is malformed or too small  |
 * | NotInRange      | allocators                       | a requested address/port lies outside the range      |
 * | AlreadyAllocated| allocators                       | a requested address/port is held by another object   |
 * | RangeFull       | allocators                       | no free address/port/CIDR is left                    |
 * | Unschedulable   | scheduler core                   | no node fits a pod (message says why per node)       |
 *
 * Messages are prefixed with `controllers:`; admission turns allocation errors into 422 Invalid
 * responses naming the field.
 */
export type ControllerErrorCode = 'InvalidRange' | 'NotInRange' | 'AlreadyAllocated' | 'RangeFull' | 'Unschedulable';

export class ControllerError extends Error {
  constructor(
    readonly code: ControllerErrorCode,
    readonly detail: string,
  ) {
    super(`controllers: ${detail}`);
    this.name = 'ControllerError';
  }
}

export const isControllerError = (err: unknown, code?: ControllerErrorCode): err is ControllerError =>
  err instanceof ControllerError && (code === undefined || err.code === code);
