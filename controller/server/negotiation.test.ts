import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wantsAggregatedDiscovery, wantsTable } from './negotiation.js';

const tableCases: [string, string | undefined, boolean][] = [
  ['kubectl get', 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json', true],
  ['plain json', 'application/json', false],
  ['json first wins', 'application/json, application/json;as=Table;v=v1;g=meta.k8s.io', false],
  ['protobuf then json', 'application/vnd.kubernetes.protobuf, */*', false],
  ['no header', undefined, false],
];
for (const [name, accept, want] of tableCases) test(`wantsTable: ${name}`, () => assert.equal(wantsTable(accept), want));

const discoCases: [string, string | undefined, boolean][] = [
  ['kubectl 1.32', 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json', true],
  ['legacy', 'application/json, */*', false],
  ['v2beta1 only', 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json', false],
];
for (const [name, accept, want] of discoCases) test(`wantsAggregatedDiscovery: ${name}`, () => assert.equal(wantsAggregatedDiscovery(accept), want));
