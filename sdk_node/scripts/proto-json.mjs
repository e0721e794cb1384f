// Build step (`npm run build`): proto/stephost/v1/worker.proto -> dist/worker.proto.json,
// the protobufjs JSON form of the same definitions. The worker loads this at start
// instead of parsing the .proto text (src/protocol.ts); never edit it by hand.
// `source` is a hash of the .proto it came from: a worker started after the proto
// changed, but before a rebuild, notices the mismatch and parses the text.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const PROTO = join(PACKAGE_DIR, '..', 'proto', 'stephost', 'v1', 'worker.proto');
const OUT = join(PACKAGE_DIR, 'dist', 'worker.proto.json');

// keepCase: field names stay snake_case, as the wire types in protocol.ts expect.
const root = new protobuf.Root().loadSync(PROTO, { keepCase: true });
root.resolveAll(); // fails the build on an unknown type
const source = createHash('sha256').update(readFileSync(PROTO)).digest('hex');
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify({ source, root: root.toJSON() }) + '\n');
