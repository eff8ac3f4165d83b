/**
 * Patch errors, coded so the API server maps each to a Kubernetes `Status` without guessing.
 *
 * | code                 | HTTP | reason              | when                                                          |
 * |----------------------|------|---------------------|---------------------------------------------------------------|
 * | UnsupportedPatchType | 415  | UnsupportedMediaType| Content-Type is not merge/json/strategic patch (server-side   |
 * |                      |      |                     | apply `application/apply-patch+yaml` included, for now)       |
 * | MalformedPatch       | 400  | BadRequest          | the body is not JSON, or not the shape the patch type needs   |
 * |                      |      |                     | (ops array, object, known directive, merge key present)       |
 * | PatchNotApplicable   | 422  | Invalid             | a well-formed patch cannot be applied to this object (JSON    |
 * |                      |      |                     | pointer missing, `test` failed, list element types differ)    |
 *
 * Messages start with `patch:` and name the operation index, JSON pointer or field path.
 */
export type PatchErrorCode = 'UnsupportedPatchType' | 'MalformedPatch' | 'PatchNotApplicable';

const HTTP: Record<PatchErrorCode, { status: number; reason: string }> = {
  UnsupportedPatchType: { status: 415, reason: 'UnsupportedMediaType' },
  MalformedPatch: { status: 400, reason: 'BadRequest' },
  PatchNotApplicable: { status: 422, reason: 'Invalid' },
};

export class PatchError extends Error {
  /** HTTP status the API server answers with. */
  readonly httpStatus: number;
  /** Kubernetes `Status.reason` for that answer. */
  readonly reason: string;

  constructor(
    readonly code: PatchErrorCode,
    message: string,
  ) {
    super(`patch: ${message}`);
    this.name = 'PatchError';
    this.httpStatus = HTTP[code].status;
    this.reason = HTTP[code].reason;
  }
}

export const isPatchError = (err: unknown, code?: PatchErrorCode): err is PatchError =>
  err instanceof PatchError && (code === undefined || err.code === code);
