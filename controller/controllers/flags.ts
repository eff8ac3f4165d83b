/**
 * The controllers' flags, spread into `sextant server`'s flag specs. `--controllers` follows
 * kube-controller-manager: `*` enables every controller, `-name` switches one off
 * (`--controllers=*,-scheduler`), a plain list enables exactly those.
 */
import { z } from 'zod';
import { flagTypes } from '../../daemon/flags.js';
import { parseCidr, parsePortRange } from './allocators/ranges.js';
import { DEFAULT_NODE_PORT_RANGE, DEFAULT_SERVICE_CIDR } from './allocators/service-allocator.js';
import { DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_MASK } from './ipam/node-cidr-allocator.js';
import { DEFAULT_ENDPOINTSLICE_WORKERS } from './endpointslice/controller.js';

export const CONTROLLER_NAMES = [
  'endpointslice',
  'node-ipam',
  'deployment',
  'replicaset',
  'garbage-collector',
  'scheduler',
  'node-lifecycle',
  'kubernetes-service',
  'service-allocation',
] as const;
export type ControllerName = (typeof CONTROLLER_NAMES)[number];

export const CONTROLLER_TRANSPORTS = ['worker', 'in-process', 'loopback'] as const;
export type ControllerTransport = (typeof CONTROLLER_TRANSPORTS)[number];

const validCidr = (what: string) =>
  z.string().superRefine((s, ctx) => {
    try {
      parseCidr(s, what);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^controllers: /, '') });
    }
  });

export const controllerFlags = {
  controllers: {
    help: `controllers to run: * for all, -NAME to switch one off (${CONTROLLER_NAMES.join(', ')})`,
    schema: z
      .string()
      .default('*')
      .superRefine((s, ctx) => {
        for (const item of s.split(',').map((x) => x.trim()).filter(Boolean)) {
          const name = item.replace(/^-/, '');
          if (name !== '*' && !(CONTROLLER_NAMES as readonly string[]).includes(name)) ctx.addIssue({ code: 'custom', message: `unknown controller "${name}"` });
        }
      }),
  },
  'service-cluster-ip-range': { help: 'CIDR ClusterIPs are allocated from', schema: validCidr('service CIDR').default(DEFAULT_SERVICE_CIDR) },
  'service-node-port-range': {
    help: 'port range NodePorts are allocated from',
    schema: z
      .string()
      .default(DEFAULT_NODE_PORT_RANGE)
      .superRefine((s, ctx) => {
        try {
          parsePortRange(s, 'node port range');
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^controllers: /, '') });
        }
      }),
  },
  'cluster-cidr': { help: 'CIDR node pod ranges are cut from', schema: validCidr('cluster CIDR').default(DEFAULT_CLUSTER_CIDR) },
  'node-cidr-mask-size': {
    help: 'prefix length of each node pod range',
    schema: z.coerce.number().int('must be an integer').min(1, 'must be 1-128').max(128, 'must be 1-128').default(DEFAULT_NODE_MASK),
  },
  'node-monitor-grace-period': {
    help: 'a node whose lease is older than this becomes Ready=Unknown',
    schema: flagTypes.duration().prefault('40s'),
  },
  'concurrent-service-endpoint-syncs': {
    help: 'services the EndpointSlice controller syncs at once (each sync waits for its slice writes)',
    schema: z.coerce.number().int('must be an integer').min(1, 'must be at least 1').max(1024, 'must be at most 1024').default(DEFAULT_ENDPOINTSLICE_WORKERS),
  },
  'controllers-transport': {
    help:
      'how the controllers run and reach this server: worker (a thread of their own; requests take the in-process pipeline, no sockets or TLS), in-process (the same thread as the API), or loopback (HTTPS to the listen address, as a separate controller manager would)',
    schema: z.enum(CONTROLLER_TRANSPORTS, { message: 'must be worker, in-process or loopback' }).default('worker'),
  },
};

/** Which controllers `--controllers` enables. */
export function enabledControllers(spec: string): Set<ControllerName> {
  const items = spec.split(',').map((x) => x.trim()).filter(Boolean);
  const on = new Set<ControllerName>();
  if (items.includes('*')) for (const n of CONTROLLER_NAMES) on.add(n);
  for (const it of items) {
    if (it === '*') continue;
    if (it.startsWith('-')) on.delete(it.slice(1) as ControllerName);
    else on.add(it as ControllerName);
  }
  return on;
}
