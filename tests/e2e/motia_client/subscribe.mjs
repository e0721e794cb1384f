// Motia's published Node stream client, used exactly as its README says, against any server.
//
//   node subscribe.mjs --url ws://127.0.0.1:3000 --stream chat --group room-1 \
//        [--item m1] [--events typing,other] [--count 10] [--timeout-ms 10000]
//
// Subscribes to the group (and to one item of it, with --item) and prints one JSON line
// on stdout for everything the client hands to its listeners:
//   {"sub":"group"|"item","kind":"state","state":<the client's state after the change>}
//   {"sub":"group"|"item","kind":"event","type":<custom event type>,"data":<its data>}
// It exits 0 after --count lines, or 3 with {"kind":"timeout"} when --timeout-ms passes first.
import { Stream } from '@motiadev/stream-client-node'

function parseArgs(argv) {
  const args = { events: '', count: '0', 'timeout-ms': '10000' }
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) {
      console.error(`usage: node subscribe.mjs --url WS --stream NAME --group ID [--item ID] [--events a,b] [--count N] [--timeout-ms MS]`)
      process.exit(2)
    }
    args[argv[i].slice(2)] = argv[i + 1]
  }
  for (const required of ['url', 'stream', 'group']) {
    if (!args[required]) {
      console.error(`subscribe.mjs: --${required} is required`)
      process.exit(2)
    }
  }
  return args
}

const args = parseArgs(process.argv.slice(2))
const count = Number(args.count)
const eventTypes = args.events ? args.events.split(',') : []
let printed = 0

const stream = new Stream(args.url)

function finish(code) {
  stream.close()
  // stdout may be a pipe: let it drain before leaving.
  process.stdout.write('', () => process.exit(code))
}

function print(line) {
  process.stdout.write(JSON.stringify(line) + '\n')
  printed += 1
  if (count > 0 && printed >= count) finish(0)
}

function watch(name, subscription) {
  subscription.addChangeListener((state) => print({ sub: name, kind: 'state', state }))
  for (const type of eventTypes) {
    subscription.onEvent(type, (data) => print({ sub: name, kind: 'event', type, data }))
  }
}

watch('group', stream.subscribeGroup(args.stream, args.group))
if (args.item) {
  watch('item', stream.subscribeItem(args.stream, args.group, args.item))
}

setTimeout(() => {
  process.stdout.write(JSON.stringify({ kind: 'timeout', printed }) + '\n')
  finish(3)
}, Number(args['timeout-ms']))
