// loadProto reads the JSON the build made from worker.proto (dist/worker.proto.json)
// only while it matches the .proto text; a different proto is parsed instead.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadProto, protoPath, type WorkerMessage } from '../src/protocol.js';

const HELLO = { hello: { worker_id: 'w-1', sdk_name: 'x' } } as unknown as WorkerMessage;

describe('loadProto', () => {
  test('the built definitions encode and decode both directions of Connect', () => {
    const proto = loadProto();
    const connect = proto.service['Connect'];
    assert.ok(connect);
    assert.equal(connect.path, '/stephost.v1.WorkerHost/Connect');
    assert.equal(connect.requestStream && connect.responseStream, true);
    const bytes = proto.encodeWorkerMessage(HELLO);
    assert.deepEqual(connect.requestDeserialize(bytes), {
      kind: 'hello',
      hello: {
        protocol_version: 0,
        sdk_name: 'x',
        sdk_version: '',
        language: '',
        worker_id: 'w-1',
        config_json: Buffer.alloc(0),
        capabilities: {},
        middleware_count: 0,
        functions: [],
        source_files: [],
      },
    });
    const invoke = { invoke: { invocation_id: 'i-1', trigger: 'TRIGGER_KIND_API', deadline_unix_ms: '1700000000000' } };
    const decoded = connect.responseDeserialize(connect.responseSerialize(invoke)) as Record<string, any>;
    assert.equal(decoded['kind'], 'invoke');
    assert.equal(decoded['invoke'].trigger, 'TRIGGER_KIND_API');
    assert.equal(decoded['invoke'].deadline_unix_ms, '1700000000000');
  });

  test('a proto that differs from the one the build saw is parsed, not read from the build', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stephost-proto-'));
    try {
      const edited = join(dir, 'worker.proto');
      const text = readFileSync(protoPath(), 'utf8').replace(
        /message Hello \{/,
        'message Hello {\n  string added_for_test = 99;',
      );
      writeFileSync(edited, text);
      const message = { hello: { worker_id: 'w-1', added_for_test: 'new' } } as unknown as WorkerMessage;
      // Field 99, length-delimited: only present when the edited text was used.
      const tag = Buffer.from([0x9a, 0x06]);
      assert.ok(loadProto(edited).encodeWorkerMessage(message).includes(tag));
      assert.ok(!loadProto().encodeWorkerMessage(message).includes(tag));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
