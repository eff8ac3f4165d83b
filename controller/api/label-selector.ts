/**
 * Label selectors: the text form (`app=web,tier!=db,env in (a,b),!canary`) and the
 * LabelSelector object (matchLabels + matchExpressions), parsed into one requirement list.
 */
import { SelectorError } from './errors.js';
import type { LabelSelector as LabelSelectorObject } from './meta.js';
import { labelKeyProblem, labelValueProblem } from './names.js';

export type LabelOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Equals' | 'NotEquals' | 'GreaterThan' | 'LessThan';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

/**
 * A parsed selector: all requirements must hold. `nothing` marks the selector that matches no
 * object (a missing LabelSelector object), as opposed to the empty selector that matches all.
 */
export interface ParsedLabelSelector {
  requirements: LabelRequirement[];
  nothing?: boolean;
}

type Token = { t: 'id'; v: string } | { t: 'op'; v: string } | { t: '(' | ')' | ',' };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '(' || c === ')' || c === ',') { out.push({ t: c }); i++; continue; }
    const two = text.slice(i, i + 2);
    if (two === '==' || two === '!=') { out.push({ t: 'op', v: two }); i += 2; continue; }
    if (c === '=' || c === '!' || c === '<' || c === '>') { out.push({ t: 'op', v: c }); i++; continue; }
    let j = i;
    while (j < text.length && !/[\s(),=!<>]/.test(text[j]!)) j++;
    out.push({ t: 'id', v: text.slice(i, j) });
    i = j;
  }
  return out;
}

const describe = (tok: Token | undefined) => (tok === undefined ? 'end of input' : tok.t === 'id' || tok.t === 'op' ? `'${tok.v}'` : `'${tok.t}'`);

function checkKey(key: string): void {
  const problem = labelKeyProblem(key);
  if (problem) throw new SelectorError('LabelSelector', `invalid label key "${key}": ${problem}`);
}
function checkValue(value: string): void {
  const problem = labelValueProblem(value);
  if (problem) throw new SelectorError('LabelSelector', `invalid label value "${value}": ${problem}`);
}

/** Parses the text form; the empty string selects everything. Throws SelectorError naming the problem. */
export function parseLabelSelector(text: string): ParsedLabelSelector {
  const toks = tokenize(text);
  const requirements: LabelRequirement[] = [];
  let p = 0;
  const peek = () => toks[p];
  const expectId = (what: string): string => {
    const tok = toks[p++];
    if (tok?.t !== 'id') throw new SelectorError('LabelSelector', `found ${describe(tok)}, expected ${what}`);
    return tok.v;
  };
  while (p < toks.length) {
    const first = peek();
    if (first?.t === 'op' && first.v === '!') {
      p++;
      const key = expectId('a label key after "!"');
      checkKey(key);
      requirements.push({ key, operator: 'DoesNotExist', values: [] });
    } else {
      const key = expectId('a label key');
      checkKey(key);
      const next = peek();
      if (next === undefined || next.t === ',') {
        requirements.push({ key, operator: 'Exists', values: [] });
      } else if (next.t === 'op') {
        p++;
        const op = next.v;
        if (op === '!') throw new SelectorError('LabelSelector', `found '!' after "${key}", expected '!=', '=', 'in' or 'notin'`);
        const after = peek();
        const value = after?.t === 'id' ? (p++, after.v) : '';
        if (op === '<' || op === '>') {
          if (!/^-?\d+$/.test(value)) throw new SelectorError('LabelSelector', `"${key}${op}${value}": value must be an integer`);
          requirements.push({ key, operator: op === '<' ? 'LessThan' : 'GreaterThan', values: [value] });
        } else {
          checkValue(value);
          requirements.push({ key, operator: op === '!=' ? 'NotEquals' : 'Equals', values: [value] });
        }
      } else if (next.t === 'id' && (next.v === 'in' || next.v === 'notin')) {
        p++;
        const open = toks[p++];
        if (open?.t !== '(') throw new SelectorError('LabelSelector', `found ${describe(open)}, expected '(' after "${key} ${next.v}"`);
        const values: string[] = [];
        for (;;) {
          const tok = toks[p];
          let value = '';
          if (tok?.t === 'id') { value = tok.v; p++; }
          checkValue(value);
          values.push(value);
          const sep = toks[p++];
          if (sep?.t === ')') break;
          if (sep?.t !== ',') throw new SelectorError('LabelSelector', `found ${describe(sep)}, expected ',' or ')' in "${key} ${next.v} (...)"`);
        }
        requirements.push({ key, operator: next.v === 'in' ? 'In' : 'NotIn', values: [...new Set(values)] });
      } else {
        throw new SelectorError('LabelSelector', `found ${describe(next)} after "${key}", expected '=', '!=', 'in', 'notin' or ','`);
      }
    }
    const sep = toks[p];
    if (sep === undefined) break;
    if (sep.t !== ',') throw new SelectorError('LabelSelector', `found ${describe(sep)}, expected ','`);
    p++;
    if (p === toks.length) throw new SelectorError('LabelSelector', `found end of input after ',', expected a requirement`);
  }
  return { requirements };
}

const operatorOf: Record<string, LabelOperator> = { In: 'In', NotIn: 'NotIn', Exists: 'Exists', DoesNotExist: 'DoesNotExist' };

/**
 * Converts a LabelSelector object. Undefined selects nothing (as Kubernetes treats a nil
 * selector); `{}` selects everything. Throws SelectorError for a bad operator or values.
 */
export function labelSelectorFromObject(sel: LabelSelectorObject | undefined | null): ParsedLabelSelector {
  if (sel === undefined || sel === null) return { requirements: [], nothing: true };
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    checkKey(key);
    checkValue(value);
    requirements.push({ key, operator: 'Equals', values: [value] });
  }
  for (const [i, expr] of (sel.matchExpressions ?? []).entries()) {
    const operator = operatorOf[expr.operator];
    if (!operator) throw new SelectorError('LabelSelector', `matchExpressions[${i}].operator: "${expr.operator}" is not a valid selector operator`);
    checkKey(expr.key);
    const values = expr.values ?? [];
    if ((operator === 'In' || operator === 'NotIn') && values.length === 0) {
      throw new SelectorError('LabelSelector', `matchExpressions[${i}].values: must be specified when operator is ${operator}`);
    }
    if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) {
      throw new SelectorError('LabelSelector', `matchExpressions[${i}].values: may not be specified when operator is ${operator}`);
    }
    values.forEach(checkValue);
    requirements.push({ key: expr.key, operator, values: [...values] });
  }
  return { requirements };
}

function matchesOne(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.operator) {
    case 'Equals':
    case 'In':
      return has && r.values.includes(v!);
    case 'NotEquals':
    case 'NotIn':
      return !has || !r.values.includes(v!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'GreaterThan':
    case 'LessThan': {
      if (!has || !/^-?\d+$/.test(v!)) return false;
      const n = Number(v);
      const bound = Number(r.values[0]);
      return r.operator === 'GreaterThan' ? n > bound : n < bound;
    }
  }
}

/** True when `labels` satisfy every requirement of `selector`. */
export function matchesLabels(selector: ParsedLabelSelector, labels: Record<string, string> | undefined): boolean {
  if (selector.nothing) return false;
  const l = labels ?? {};
  return selector.requirements.every((r) => matchesOne(r, l));
}

/** True when the selector selects every object. */
export function selectsEverything(selector: ParsedLabelSelector): boolean {
  return !selector.nothing && selector.requirements.length === 0;
}

/** The text form (`a=b,c in (x,y)`), as used in `?labelSelector=` and Scale.status.selector. */
export function formatLabelSelector(selector: ParsedLabelSelector): string {
  return selector.requirements
    .map((r) => {
      switch (r.operator) {
        case 'Equals': return `${r.key}=${r.values[0] ?? ''}`;
        case 'NotEquals': return `${r.key}!=${r.values[0] ?? ''}`;
        case 'In': return `${r.key} in (${r.values.join(',')})`;
        case 'NotIn': return `${r.key} notin (${r.values.join(',')})`;
        case 'Exists': return r.key;
        case 'DoesNotExist': return `!${r.key}`;
        case 'GreaterThan': return `${r.key}>${r.values[0] ?? ''}`;
        case 'LessThan': return `${r.key}<${r.values[0] ?? ''}`;
      }
    })
    .join(',');
}
