import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isMotiaSpecifier, namesImportedFrom, stubSource } from '../src/motia-names.js';

describe('motia stub', () => {
  test('recognises motia specifiers only', () => {
    assert.equal(isMotiaSpecifier('motia'), true);
    assert.equal(isMotiaSpecifier('motia/types'), true);
    assert.equal(isMotiaSpecifier('motia-extra'), false);
    assert.equal(isMotiaSpecifier('@motiadev/core'), false);
  });

  test('finds the names a file imports or re-exports from motia', () => {
    const source = `
      import { ApiRouteConfig, type Handlers, EventConfig as EC } from 'motia'
      import Default, { FlowContext } from "motia"
      import type { CronConfig } from 'motia'
      import { z } from 'zod'
      export { StreamConfig, /* a comment */ NoopConfig, // trailing
      } from 'motia'
      import { Other } from 'motia/other'
    `;
    assert.deepEqual(namesImportedFrom(source, 'motia'), [
      'ApiRouteConfig',
      'CronConfig',
      'EventConfig',
      'FlowContext',
      'Handlers',
      'NoopConfig',
      'StreamConfig',
    ]);
    assert.deepEqual(namesImportedFrom(source, 'motia/other'), ['Other']);
  });

  test('the stub exports each name and a default', () => {
    assert.equal(stubSource(['A', 'B']), 'export default {};\nexport const A = undefined;\nexport const B = undefined;\n');
  });
});
