/**
 * A collector of Kubernetes-style field errors (the `causes` of a 422 Invalid Status):
 * `{field: 'spec.ports[0].port', reason: 'FieldValueInvalid', message: 'Invalid value: 70000: must be between 1 and 65535, inclusive'}`.
 */
import type { StatusCause } from './status.js';

/** A validation cause; every field is set. */
export interface FieldCause extends StatusCause {
  field: string;
  reason: string;
  message: string;
}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));

export class FieldErrors {
  readonly causes: FieldCause[] = [];

  private add(field: string, reason: string, message: string): void {
    this.causes.push({ field, reason, message });
  }
  required(field: string, detail?: string): void {
    this.add(field, 'FieldValueRequired', detail ? `Required value: ${detail}` : 'Required value');
  }
  invalid(field: string, value: unknown, detail: string): void {
    this.add(field, 'FieldValueInvalid', `Invalid value: ${show(value)}: ${detail}`);
  }
  notSupported(field: string, value: unknown, supported: readonly string[]): void {
    this.add(field, 'FieldValueNotSupported', `Unsupported value: ${show(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`);
  }
  duplicate(field: string, value: unknown): void {
    this.add(field, 'FieldValueDuplicate', `Duplicate value: ${show(value)}`);
  }
  notFound(field: string, value: unknown): void {
    this.add(field, 'FieldValueNotFound', `Not found: ${show(value)}`);
  }
  forbidden(field: string, detail: string): void {
    this.add(field, 'FieldValueForbidden', `Forbidden: ${detail}`);
  }
  tooMany(field: string, actual: number, max: number): void {
    this.add(field, 'FieldValueTooMany', `Too many: ${actual}: must have at most ${max} items`);
  }
  tooLong(field: string, max: number): void {
    this.add(field, 'FieldValueTooLong', `Too long: may not be more than ${max} bytes`);
  }
  immutable(field: string, value: unknown): void {
    this.invalid(field, value, 'field is immutable');
  }

  /** Checks `value` with a problem function (names.ts) and records an Invalid cause. */
  check(field: string, value: string, problem: (v: string) => string | null): void {
    const p = problem(value);
    if (p) this.invalid(field, value, p);
  }
  /** An integer range check with Kubernetes' wording. */
  inRange(field: string, value: number | undefined, min: number, max: number): void {
    if (value !== undefined && (value < min || value > max)) this.invalid(field, value, `must be between ${min} and ${max}, inclusive`);
  }
  nonNegative(field: string, value: number | undefined): void {
    if (value !== undefined && value < 0) this.invalid(field, value, 'must be greater than or equal to 0');
  }
  oneOf(field: string, value: string | undefined, supported: readonly string[]): void {
    if (value !== undefined && !supported.includes(value)) this.notSupported(field, value, supported);
  }
}

/**
 * The Status message Kubernetes builds for an Invalid error:
 * `Service "web" is invalid: spec.ports[0].port: Invalid value: 0: must be ...` (bracketed when several).
 */
export function invalidMessage(kind: string, name: string, causes: readonly StatusCause[]): string {
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message ?? ''}` : c.message ?? ''));
  const body = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return `${kind} ${JSON.stringify(name)} is invalid: ${body}`;
}
