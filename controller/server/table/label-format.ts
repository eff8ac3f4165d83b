import type { LabelSelector } from '../../api/meta.js';

/** `a=1,b=2` sorted by key, or `<none>`: how kubectl prints a service selector map. */
export const formatLabelMap = (labels: Record<string, string> | undefined): string => {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join(',');
};

/**
 * A LabelSelector object in the text form Kubernetes prints for workloads (requirements sorted by
 * key, set values sorted): `app=web,tier in (a,b),!canary`. Empty or absent → empty string.
 */
export const formatSelector = (selector: LabelSelector | undefined): string => {
  if (!selector) return '';
  const parts: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) parts.push({ key, text: `${key}=${value}` });
  for (const expr of selector.matchExpressions ?? []) {
    const values = [...(expr.values ?? [])].sort().join(',');
    const text =
      expr.operator === 'In' ? `${expr.key} in (${values})`
      : expr.operator === 'NotIn' ? `${expr.key} notin (${values})`
      : expr.operator === 'Exists' ? expr.key
      : expr.operator === 'DoesNotExist' ? `!${expr.key}`
      : '<invalid>';
    if (text === '<invalid>') return text;
    parts.push({ key: expr.key, text });
  }
  return parts
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((p) => p.text)
    .join(',');
};
