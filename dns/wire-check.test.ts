import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage, encodeMessage, MalformedMessage } from './codec.js';
import { wireProblem } from './wire-check.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
/** Response header with one question (web.default) and `an` answers. */
const header = (an: number) => `1234 8180 0001 ${an.toString(16).padStart(4, '0')} 0000 0000`;
const question = '03776562 0764656661756c74 00 0001 0001';
const rr = (type: string, rdata: string, rdlength?: number) => `c00c ${type} 0001 00000005 ${(rdlength ?? rdata.replace(/\s+/g, '').length / 2).toString(16).padStart(4, '0')} ${rdata}`;

const sound: [string, string][] = [
  ['A answer', `${header(1)} ${question} ${rr('0001', '0a60000a')}`],
  ['AAAA answer', `${header(1)} ${question} ${rr('001c', 'fd000000000000000000000000000001')}`],
  ['CNAME by pointer', `${header(1)} ${question} ${rr('0005', 'c00c')}`],
  ['PTR with labels', `${header(1)} ${question} ${rr('000c', '03616263 00')}`],
  ['SRV', `${header(1)} ${question} ${rr('0021', '0000 0064 0050 c00c')}`],
  ['query with EDNS OPT', `0001 0100 0001 0000 0000 0001 ${question} 00 0029 1000 00 00 0000 0000`],
];
for (const [name, wire] of sound) {
  test(`wire check accepts: ${name}`, () => {
    assert.equal(wireProblem(hex(wire)), undefined);
    encodeMessage(decodeMessage(hex(wire)));
  });
}

const malformed: [string, string, RegExp][] = [
  ['A with RDLENGTH 2', `${header(1)} ${question} ${rr('0001', '0a60')}`, /RDLENGTH 2, must be 4/],
  ['A with RDLENGTH 5', `${header(1)} ${question} ${rr('0001', '0a60000a00')}`, /RDLENGTH 5, must be 4/],
  ['AAAA with RDLENGTH 4', `${header(1)} ${question} ${rr('001c', '0a60000a')}`, /RDLENGTH 4, must be 16/],
  ['PTR whose name is longer than RDLENGTH', `${header(1)} ${question} ${rr('000c', '03616263 00', 2)} 00`, /does not match its data/],
  ['PTR with trailing bytes inside RDATA', `${header(1)} ${question} ${rr('000c', 'c00c 0000')}`, /does not match its data/],
  ['answer count beyond the packet', `${header(5)} ${question} ${rr('0001', '0a60000a')}`, /runs past the end/],
  ['RDATA beyond the packet', `${header(1)} ${question} ${rr('0001', '0a60', 4)}`, /RDATA runs past the end/],
  ['label with a dot byte', `0001 0100 0001 0000 0000 0000 03612e62 00 0001 0001`, /'\.' or non-ASCII/],
  ['label with a non-ASCII byte', `0001 0100 0001 0000 0000 0000 0361c06e 00 0001 0001`, /'\.' or non-ASCII/],
  ['forward pointer', `0001 0100 0001 0000 0000 0000 c00e 0001 0001 00`, /does not point backwards/],
  ['pointer to itself', `0001 0100 0001 0000 0000 0000 c00c 0001 0001`, /does not point backwards/],
  ['reserved label type', `0001 0100 0001 0000 0000 0000 4001 0001 0001`, /reserved label type/],
  ['name longer than 255', `0001 0100 0001 0000 0000 0000 ${'3f' + '61'.repeat(63)}`.repeat(1) + ` ${('3f' + '61'.repeat(63)).repeat(4)} 00 0001 0001`, /longer than 255/],
];
for (const [name, wire, reason] of malformed) {
  test(`wire check rejects (MalformedMessage → FORMERR): ${name}`, () => {
    assert.match(wireProblem(hex(wire)) ?? '', reason);
    assert.throws(() => decodeMessage(hex(wire)), (err: unknown) => err instanceof MalformedMessage && err.id !== undefined && reason.test(err.message));
  });
}
