/** The list envelope (`PodList`, ...) and the watch event line. */
import { z } from 'zod';
import { listMetaSchema } from './meta.js';

/** The schema of `<Kind>List` for an item schema. */
export const listSchemaOf = <T extends z.ZodType>(item: T) =>
  z.object({ apiVersion: z.string(), kind: z.string(), metadata: listMetaSchema, items: z.array(item) });

export const listSchema = listSchemaOf(z.looseObject({}));
/** A list response; items are typed by the caller. */
export interface List<T = Record<string, unknown>> {
  apiVersion: string;
  kind: string;
  metadata: z.infer<typeof listMetaSchema>;
  items: T[];
}

export const watchEventTypes = ['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'] as const;
export type WatchEventType = (typeof watchEventTypes)[number];

/** One line of a watch stream: `{"type":"ADDED","object":{...}}`. */
export const watchEventSchema = z.object({
  type: z.enum(watchEventTypes),
  object: z.looseObject({}),
});
export interface WatchEvent<T = Record<string, unknown>> {
  type: WatchEventType;
  object: T;
}
