/** meta/v1 Status: the body of every error (and of some successful deletes). */
import { z } from 'zod';
import { listMetaSchema } from './meta.js';

export const statusCauseSchema = z.object({
  reason: z.string().optional().describe('Machine-readable cause, e.g. FieldValueInvalid.'),
  message: z.string().optional(),
  field: z.string().optional().describe('The field at fault, e.g. spec.ports[0].port.'),
});
export type StatusCause = z.infer<typeof statusCauseSchema>;

export const statusSchema = z
  .object({
    apiVersion: z.string().optional(),
    kind: z.string().optional(),
    metadata: listMetaSchema.optional(),
    status: z.string().optional().describe('Success or Failure.'),
    message: z.string().optional(),
    reason: z.string().optional().describe('NotFound, AlreadyExists, Conflict, Invalid, Expired, ...'),
    details: z
      .object({
        name: z.string().optional(),
        group: z.string().optional(),
        kind: z.string().optional(),
        uid: z.string().optional(),
        causes: z.array(statusCauseSchema).optional(),
        retryAfterSeconds: z.number().int().optional(),
      })
      .optional(),
    code: z.number().int().optional().describe('The HTTP status code.'),
  })
  .describe('The result of an operation that does not return an object.');
export type Status = z.infer<typeof statusSchema>;
