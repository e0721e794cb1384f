// WebAssembly as a step sees it: at load time and in its handler (the worker keeps the
// global out of sight of its own packages while they load, and must put it back first).

const ADD_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x03,
  0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x20,
  0x00, 0x20, 0x01, 0x6a, 0x0b,
])

function add(a: number, b: number): number {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(ADD_MODULE))
  return (instance.exports.add as (x: number, y: number) => number)(a, b)
}

const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'WebAssembly')
const atLoad = { type: typeof WebAssembly, sum: add(2, 3) }

export const config = { type: 'api', name: 'Wasm', path: '/wasm', method: 'GET', emits: [] }

export const handler = async () => ({
  status: 200,
  body: {
    atLoad,
    inHandler: { type: typeof WebAssembly, sum: add(40, 2) },
    descriptor: {
      writable: descriptor?.writable,
      enumerable: descriptor?.enumerable,
      configurable: descriptor?.configurable,
    },
  },
})
