import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SDK_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(SDK_ROOT, 'test', 'fixtures');
