/**
 * controller/api: the Kubernetes object model every Sextant role shares — schemas and types,
 * the kinds registry, decoding, defaulting, validation, selectors — and the API client/informer.
 */
export * from './meta.js';
export * from './pod.js';
export * from './service.js';
export * from './node.js';
export * from './namespace.js';
export * from './endpoints.js';
export * from './endpoint-slice.js';
export * from './event.js';
export * from './deployment.js';
export * from './replica-set.js';
export * from './lease.js';
export * from './scale.js';
export * from './status.js';
export * from './table.js';
export * from './list.js';
export * from './kinds.js';
export * from './errors.js';
export * from './names.js';
export * from './decode.js';
export * from './unknown-fields.js';
export * from './defaults.js';
export { FieldErrors, invalidMessage, type FieldCause } from './field-errors.js';
export { validateObject, type ValidateOptions } from './validate.js';
export * from './label-selector.js';
export * from './field-selector.js';
export * from './kubeconfig.js';
export * from './client.js';
export * from './informer.js';
