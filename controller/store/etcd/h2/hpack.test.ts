/**
 * The HPACK decoder against RFC 7541 Appendix C (literal forms, the request sequences without
 * and with Huffman coding, responses with eviction from a 256-octet table), the Huffman code
 * (canonical codes as Appendix B lists them, padding and EOS rules), and the encoder's blocks
 * decoding back to what was encoded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HpackDecoder, HpackError, encodeHeaders, type HeaderList } from './hpack.js';
import { CODES, huffmanDecode } from './huffman.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('C.2.1-C.2.4: literal forms and an indexed field', () => {
  const d = new HpackDecoder();
  assert.deepEqual(d.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572')), [['custom-key', 'custom-header']]);
  assert.equal(d.tableSize, 55);
  const plain = new HpackDecoder();
  assert.deepEqual(plain.decode(hex('040c 2f73 616d 706c 652f 7061 7468')), [[':path', '/sample/path']]);
  assert.deepEqual(plain.decode(hex('1008 7061 7373 776f 7264 0673 6563 7265 74')), [['password', 'secret']]);
  assert.deepEqual(plain.decode(hex('82')), [[':method', 'GET']]);
  assert.equal(plain.tableSize, 0, 'without indexing and never indexed leave the table alone');
});

const REQUESTS: { raw: string; huffman: string; fields: HeaderList; size: number }[] = [
  {
    raw: '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
    huffman: '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff',
    fields: [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']],
    size: 57,
  },
  {
    raw: '8286 84be 5808 6e6f 2d63 6163 6865',
    huffman: '8286 84be 5886 a8eb 1064 9cbf',
    fields: [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache']],
    size: 110,
  },
  {
    raw: '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
    huffman: '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
    fields: [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']],
    size: 164,
  },
];

for (const form of ['raw', 'huffman'] as const) {
  test(`C.${form === 'raw' ? 3 : 4}: three requests on one connection (${form}) share the dynamic table`, () => {
    const d = new HpackDecoder();
    for (const r of REQUESTS) {
      assert.deepEqual(d.decode(hex(r[form])), r.fields);
      assert.equal(d.tableSize, r.size);
    }
    assert.deepEqual(d.table, [['custom-key', 'custom-value'], ['cache-control', 'no-cache'], [':authority', 'www.example.com']]);
  });
}

test('C.6.1-C.6.2: Huffman-coded responses, the oldest entry evicted from a 256-octet table', () => {
  const d = new HpackDecoder(256);
  const first = d.decode(
    hex(`4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`),
  );
  assert.deepEqual(first, [
    [':status', '302'],
    ['cache-control', 'private'],
    ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
    ['location', 'https://www.example.com'],
  ]);
  assert.equal(d.tableSize, 222);
  const second = d.decode(hex('4883 640e ffc1 c0bf'));
  assert.deepEqual(second, [
    [':status', '307'],
    ['cache-control', 'private'],
    ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
    ['location', 'https://www.example.com'],
  ]);
  assert.equal(d.tableSize, 222);
  assert.deepEqual(d.table[0], [':status', '307']);
  assert.equal(d.table.length, 4);
});

test('Huffman: canonical codes match Appendix B; padding and EOS rules are enforced', () => {
  assert.deepEqual(CODES[0], { code: 0x1ff8, bits: 13 });
  assert.deepEqual(CODES[1], { code: 0x7fffd8, bits: 23 });
  assert.deepEqual(CODES[32], { code: 0x14, bits: 6 });
  assert.deepEqual(CODES[48], { code: 0x0, bits: 5 });
  assert.deepEqual(CODES[255], { code: 0x3ffffee, bits: 26 });
  assert.deepEqual(CODES[256], { code: 0x3fffffff, bits: 30 });
  assert.equal(huffmanDecode(hex('94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007')), 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1');
  assert.equal(huffmanDecode(Buffer.alloc(0)), '');
  // Eight 1-bits of padding (more than 7), padding with a 0 bit, and EOS in the string.
  assert.throws(() => huffmanDecode(hex('ff')), HpackError);
  assert.throws(() => huffmanDecode(hex('f1e3c2e5f23a6ba0ab90f4fe')), HpackError);
  assert.throws(() => huffmanDecode(hex('ffffffff')), HpackError);
});

test('malformed blocks are errors: index 0, an index beyond the table, a size update above the limit or after a field, truncation', () => {
  assert.throws(() => new HpackDecoder().decode(hex('80')), HpackError);
  assert.throws(() => new HpackDecoder().decode(hex('be')), HpackError);
  assert.throws(() => new HpackDecoder(4096).decode(hex('3fe21f')), HpackError); // size update to 4096 + 1
  assert.throws(() => new HpackDecoder().decode(hex('8220')), HpackError);
  assert.throws(() => new HpackDecoder().decode(hex('400a6375')), HpackError);
  const d = new HpackDecoder();
  d.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'));
  d.decode(hex('20'));
  assert.equal(d.tableSize, 0, 'a size update to 0 empties the table');
});

test('encoded blocks decode to the fields given (static matches indexed, long values with multi-octet lengths)', () => {
  const fields: HeaderList = [
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', '/etcdserverpb.KV/Txn'],
    [':authority', '127.0.0.1:2379'],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
    ['x-long', 'v'.repeat(300)],
  ];
  const block = encodeHeaders(fields);
  assert.equal(block[0], 0x83, ':method POST is static index 3');
  const d = new HpackDecoder();
  assert.deepEqual(d.decode(block), fields);
  assert.equal(d.tableSize, 0, 'the encoder never adds to the peer table');
});
