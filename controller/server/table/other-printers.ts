import type { Event } from '../../api/event.js';
import type { Lease } from '../../api/lease.js';
import type { Namespace } from '../../api/namespace.js';
import { timeSince } from './human-duration.js';
import { AGE_COLUMN, NAME_COLUMN, column, type AnyObject, type Printer } from './types.js';

/** Namespaces: NAME STATUS AGE. */
export const namespacePrinter: Printer<Namespace> = {
  columns: [NAME_COLUMN, column('Status', 'Active or Terminating.'), AGE_COLUMN],
  row(ns, now) {
    return { cells: [ns.metadata?.name ?? '', ns.status?.phase ?? '', timeSince(ns.metadata?.creationTimestamp, now)] };
  },
};

/** Leases: NAME HOLDER AGE. */
export const leasePrinter: Printer<Lease> = {
  columns: [NAME_COLUMN, column('Holder', 'Identity of the current holder.'), AGE_COLUMN],
  row(lease, now) {
    return { cells: [lease.metadata?.name ?? '', lease.spec?.holderIdentity ?? '', timeSince(lease.metadata?.creationTimestamp, now)] };
  },
};

/**
 * Events: LAST SEEN TYPE REASON OBJECT MESSAGE, wide SUBOBJECT SOURCE FIRST SEEN COUNT NAME. Times
 * fall back from lastTimestamp to firstTimestamp to eventTime; a series overrides both.
 */
export const eventPrinter: Printer<Event> = {
  columns: [
    column('Last Seen', 'Time since the event was last observed.'),
    column('Type', 'Normal or Warning.'),
    column('Reason', 'Short machine-readable reason.'),
    column('Object', 'The object the event is about, as kind/name.'),
    column('Subobject', 'Part of the object the event is about (e.g. a container).', { priority: 1 }),
    column('Source', 'The component (and host) that reported the event.', { priority: 1 }),
    column('Message', 'Human-readable description.'),
    column('First Seen', 'Time since the event was first observed.', { priority: 1 }),
    column('Count', 'How many times the event occurred.', { type: 'integer', priority: 1 }),
    column('Name', 'Name of the Event object.', { format: 'name', priority: 1 }),
  ],
  row(ev, now) {
    const first = ev.firstTimestamp ? timeSince(ev.firstTimestamp, now) : timeSince(ev.eventTime, now);
    let last = ev.lastTimestamp ? timeSince(ev.lastTimestamp, now) : first;
    let count = ev.count ?? 0;
    if (ev.series) {
      last = timeSince(ev.series.lastObservedTime, now);
      count = ev.series.count ?? 0;
    } else if (count === 0) {
      count = 1;
    }
    const involved = ev.involvedObject ?? {};
    const kind = (involved.kind ?? '').toLowerCase();
    const component = ev.source?.component || ev.reportingComponent || '';
    const host = ev.source?.host || ev.reportingInstance || '';
    return {
      cells: [
        last,
        ev.type ?? '',
        ev.reason ?? '',
        involved.name ? `${kind}/${involved.name}` : kind,
        involved.fieldPath ?? '',
        host ? `${component}, ${host}` : component,
        (ev.message ?? '').trim(),
        first,
        count,
        ev.metadata?.name ?? '',
      ],
    };
  },
};

/** Any other kind: NAME AGE from metadata alone. */
export const defaultPrinter: Printer<AnyObject> = {
  columns: [NAME_COLUMN, AGE_COLUMN],
  row(obj, now) {
    return { cells: [obj.metadata?.name ?? '', timeSince(obj.metadata?.creationTimestamp, now)] };
  },
};
