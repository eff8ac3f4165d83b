/** core/v1 Event and Binding: reports about objects, and the scheduler's pod-to-node binding. */
import { z } from 'zod';
import { objectMetaSchema, objectReferenceSchema, timestamp } from './meta.js';

export const eventSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMetaSchema,
    involvedObject: objectReferenceSchema.describe('The object this event is about.'),
    reason: z.string().optional(),
    message: z.string().optional(),
    source: z.object({ component: z.string().optional(), host: z.string().optional() }).optional(),
    firstTimestamp: timestamp('First occurrence.').optional(),
    lastTimestamp: timestamp('Most recent occurrence.').optional(),
    count: z.number().int().optional(),
    type: z.string().optional().describe('Normal or Warning.'),
    eventTime: z.string().optional(),
    series: z.object({ count: z.number().int().optional(), lastObservedTime: z.string().optional() }).optional(),
    action: z.string().optional(),
    related: objectReferenceSchema.optional(),
    reportingComponent: z.string().optional(),
    reportingInstance: z.string().optional(),
  })
  .describe('A report of something that happened to an object.');
export type Event = z.infer<typeof eventSchema>;

export const bindingSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMetaSchema,
    target: objectReferenceSchema.describe('The node to bind to.'),
  })
  .describe('Binds a pod to a node (POST pods/NAME/binding).');
export type Binding = z.infer<typeof bindingSchema>;
