// Loads stephost's Node test helper for this project's tests, from the first place it is:
// the @stephost/sdk-node package in node_modules, the Node SDK folder in $STEPHOST_SDK_NODE
// (the variable the host itself reads), or the SDK of the stephost that created this project.
// The helper runs the `stephost` command: $STEPHOST_BIN, else `stephost` on the PATH, else
// `$STEPHOST_PYTHON -m stephost.cli` (by default the Python that created this project).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

// Double quotes: the paths are filled in JSON-escaped.
const CREATED_WITH = { sdkNode: "{{sdk_node_dir}}", python: "{{python}}" }

if (!process.env.STEPHOST_PYTHON && existsSync(CREATED_WITH.python)) {
  process.env.STEPHOST_PYTHON = CREATED_WITH.python
}

async function loadHelper() {
  try {
    return await import('@stephost/sdk-node/dist/testing.js')
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err
  }
  for (const dir of [process.env.STEPHOST_SDK_NODE, CREATED_WITH.sdkNode]) {
    const file = dir ? join(dir, 'dist', 'testing.js') : ''
    if (file && existsSync(file)) return import(pathToFileURL(file).href)
  }
  throw new Error(
    "stephost's Node test helper was not found: set STEPHOST_SDK_NODE to the folder of stephost's " +
      'Node SDK (sdk_node), or install it with `npm install --save-dev <that folder>`',
  )
}

export const { startHost } = await loadHelper()
