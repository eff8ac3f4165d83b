/**
 * loadbalance: shuffles the A and AAAA records of an answer (round-robin DNS), leaving CNAMEs and
 * other records where they are. A shuffled answer is no longer "stable", so the packet cache does
 * not freeze one order.
 */
import type { Plugin, Reply } from '../../chain.js';
import type { ResourceRecord } from '../../message.js';

export function shuffleAddresses(answers: ResourceRecord[], random: () => number = Math.random): ResourceRecord[] {
  const idx: number[] = [];
  answers.forEach((r, i) => (r.type === 'A' || r.type === 'AAAA') && idx.push(i));
  if (idx.length < 2) return answers;
  const picked = idx.map((i) => answers[i]!);
  for (let i = picked.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [picked[i], picked[j]] = [picked[j]!, picked[i]!];
  }
  const out = answers.slice();
  idx.forEach((pos, k) => (out[pos] = picked[k]!));
  return out;
}

export function loadbalancePlugin(random: () => number = Math.random): Plugin {
  const apply = (r: Reply): Reply => {
    const shuffled = shuffleAddresses(r.msg.answers, random);
    if (shuffled === r.msg.answers) return r;
    return { msg: { ...r.msg, answers: shuffled }, stable: false };
  };
  return {
    name: 'loadbalance',
    handle(req, next) {
      const r = next(req);
      return r instanceof Promise ? r.then(apply) : apply(r);
    },
  };
}
