/**
 * Node restriction, as Kubernetes' NodeRestriction admission plugin: a node identity
 * (`system:node:<name>` in `system:nodes`) may write only its own Node and its own Lease, and may
 * update the status of, or delete, only pods bound to it (`spec.nodeName`). The authorizer lets
 * nodes attempt these verbs; this hook looks at the objects and refuses the rest with 403.
 */
import type { AdmissionHook, AdmissionRequest } from '../server/admission.js';
import { ApiServerError } from '../server/errors.js';
import { nodeNameOf } from './roles.js';

type Obj = { metadata?: { name?: unknown; namespace?: unknown }; spec?: { nodeName?: unknown } } | undefined;

const forbid = (req: AdmissionRequest, node: string, why: string): never => {
  const what = `${req.kind.resource}${req.subresource ? `/${req.subresource}` : ''}`;
  throw new ApiServerError('Forbidden', `${what} "${req.name}" is forbidden: node "${node}" ${why}`);
};

export const nodeRestriction: AdmissionHook = {
  name: 'NodeRestriction',
  admit(req) {
    const node = nodeNameOf(req.user);
    if (node === undefined) return;
    const group = req.kind.group;
    const resource = req.kind.resource;
    const oldObj = req.oldObject as Obj;
    const newObj = req.object as Obj;
    if (group === '' && resource === 'nodes') {
      if (req.name !== node) forbid(req, node, `may only modify its own Node object`);
      if (req.operation === 'DELETE') forbid(req, node, 'may not delete Node objects');
      return;
    }
    if (group === 'coordination.k8s.io' && resource === 'leases') {
      if (req.namespace !== 'kube-node-lease' || req.name !== node) forbid(req, node, 'may only modify its own Lease in kube-node-lease');
      return;
    }
    if (group === '' && resource === 'pods') {
      if (req.operation === 'CREATE') forbid(req, node, 'may not create pods');
      const boundTo = oldObj?.spec?.nodeName;
      if (boundTo !== node) forbid(req, node, `may only modify pods bound to it (this pod is bound to ${typeof boundTo === 'string' && boundTo ? `"${boundTo}"` : 'no node'})`);
      // A graceful DELETE arrives as an UPDATE setting deletionTimestamp (the authorizer gives nodes no plain pod update).
      const deleting = (newObj?.metadata as { deletionTimestamp?: unknown } | undefined)?.deletionTimestamp !== undefined;
      if (req.operation === 'UPDATE' && req.subresource !== 'status' && !deleting) forbid(req, node, 'may only update the status of pods');
      if (req.operation === 'UPDATE' && newObj?.spec?.nodeName !== node) forbid(req, node, 'may not move a pod to another node');
      return;
    }
  },
};
