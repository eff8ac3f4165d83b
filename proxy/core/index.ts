/** The proxy's pure core: API objects → change tracking → iptables payload, and a packet tracer for dumps. */
export * from './k8s-types.js';
export * from './ipv4.js';
export * from './service-port.js';
export * from './endpoint.js';
export * from './service-change-tracker.js';
export * from './endpoint-change-tracker.js';
export * from './chain-names.js';
export * from './jump-rules.js';
export * from './rule-builder.js';
export * from './packet-tracer.js';
export * from './kernel-state.js';
export * from './conntrack-plan.js';
export * from './cleanup-plan.js';
