import { parseArgs } from 'node:util';

/** Every option of `npm run sim -- …`; see HELP. */
export const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  'list-scenarios': { type: 'boolean' },
  // where
  'mqtt-url': { type: 'string' },
  'api-url': { type: 'string' },
  // registry
  provision: { type: 'boolean' },
  credentials: { type: 'string' },
  'admin-user': { type: 'string' },
  'admin-password': { type: 'string' },
  'admin-token': { type: 'string' },
  // scenario mode
  patients: { type: 'string' },
  scenario: { type: 'string' },
  seed: { type: 'string' },
  'history-days': { type: 'string' },
  duration: { type: 'string' },
  'event-in': { type: 'string' },
  'event-spacing': { type: 'string' },
  'offline-minutes': { type: 'string' },
  'batch-seconds': { type: 'string' },
  'history-interval': { type: 'string' },
  'max-inflight': { type: 'string' },
  'dry-run': { type: 'boolean' },
  // load mode
  load: { type: 'boolean' },
  devices: { type: 'string' },
  rate: { type: 'string' },
  'samples-per-message': { type: 'string' },
  unregistered: { type: 'boolean' },
  // bad-input mode
  'bad-input': { type: 'boolean' },
  verify: { type: 'boolean' },
  'device-id': { type: 'string' },
  secret: { type: 'string' },
  // output
  json: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

export const HELP = `Device simulator: home oximeters and ventilators speaking CONTRACT.md §1 over MQTT.

Usage:
  npm run sim -- [options]                       scenario mode (default)
  npm run sim -- --load --devices 200 --rate 1 --duration 60
  npm run sim -- --bad-input [--verify]
  npm run sim -- --list-scenarios

Connection
  --mqtt-url <url>            broker (env MQTT_URL, default mqtt://127.0.0.1:1883)
  --api-url <url>             backend REST API (env SIM_API_URL, default http://127.0.0.1:3000)

Registry (devices need credentials from POST /api/devices)
  --provision                 register the patients and devices through the REST API (admin),
                              reusing those already in the credentials file
  --credentials <file>        credentials file (default .data/sim-credentials.json,
                              load mode .data/sim-load-credentials.json); mode 0600, gitignored
  --admin-user <name>         admin login (env SIM_ADMIN_USERNAME or BOOTSTRAP_ADMIN_USERNAME)
  --admin-password <pw>       (env SIM_ADMIN_PASSWORD or BOOTSTRAP_ADMIN_PASSWORD)
  --admin-token <jwt>         an admin access token instead of a login

Scenario mode
  --patients <n>              number of simulated patients (default 10)
  --scenario <id|mixed>       scenario of every patient, or mixed (default mixed): see --list-scenarios
  --seed <n>                  seed: the same seed and options give the same data (default 1)
  --history-days <d|auto>     accelerated history before now, sent as fast as acknowledged
                              (default auto: what the chosen scenarios need; at most 29.5)
  --duration <s>              live seconds after the history (default: until Ctrl-C; 0: history only)
  --event-in <s>              the scenario event (episode, silence, offline) happens this many seconds
                              after the live start; negative (--event-in=-300) puts it in the history
                              (default 30)
  --event-spacing <s>         delay between successive patients' events (default 15)
  --offline-minutes <m>       offline-backlog: how long the device is offline (default 480)
  --batch-seconds <s>         live oximeter batching: one message per period (default 5)
  --history-interval <s>      oximeter sample spacing in the history (default 30; live is 1 Hz)
  --max-inflight <n>          unacknowledged messages per device during catch-up (default 20)
  --dry-run                   print the messages as JSON lines instead of sending them
                              (needs no broker; --duration defaults to 60)

Load mode (--load)
  --devices <n>               simulated devices (default 100); registered ones from the credentials
                              file (use --provision), or --unregistered ids with no password
  --rate <r>                  messages per second per device (default 1)
  --samples-per-message <k>   samples in each message (default 5, at most 1000)
  --duration <s>              seconds (default 30)
  --max-inflight <n>          a device with this many unacknowledged messages skips its turn (default 100)
  Prints a progress line every second (msg/s, samples/s, pending acks, ack latency) and a summary.

Bad-input mode (--bad-input)
  Sends malformed JSON, wrong version, oversized payload, out-of-range values, unknown fields,
  future and ancient timestamps, another device's topic, binary garbage… from one registered
  device (the first in the credentials file, or --device-id/--secret), listing for each the
  rejection reason the backend must record.
  --verify                    then check GET /api/admin/rejections (admin) holds every one

Output
  --json <file|->             write the final summary (scenario, load or bad-input) as JSON
  --quiet, -q                 no progress lines
  --help, -h                  this text
`;

export type CliValues = ReturnType<typeof parse>['values'];

export function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true });
}

export function num(value: string | undefined, name: string, fallback: number, opts: { min?: number; max?: number; integer?: boolean } = {}): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || (opts.integer && !Number.isInteger(n))) throw new Error(`--${name} must be ${opts.integer ? 'an integer' : 'a number'}`);
  if (opts.min !== undefined && n < opts.min) throw new Error(`--${name} must be at least ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw new Error(`--${name} must be at most ${opts.max}`);
  return n;
}
