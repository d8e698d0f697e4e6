import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../apps/server/src/paths.js';

/** A Mosquitto of a test's own (test/fixtures/mosquitto-faults.conf) that it can stop and restart. */
export interface OwnBroker {
  url: string;
  port: number;
  /** Its scratch directory (configuration, log, persistence file). */
  dir: string;
  /** Everything the broker logged so far, over all its starts. */
  log: () => string;
  /** (Re)starts it on the same port with the same state directory; resolves once it accepts connections. */
  start: () => Promise<void>;
  /** SIGTERM (Mosquitto then writes its persistence file) or SIGKILL; resolves once it exited. */
  stop: (signal?: NodeJS.Signals) => Promise<void>;
  /** The running broker's process id (undefined while stopped): for its CPU time in /proc. */
  pid: () => number | undefined;
  /** Stops it and removes its directory. */
  dispose: () => Promise<void>;
}

export async function startOwnBroker(options: { port: number; persistence?: boolean }): Promise<OwnBroker> {
  const dir = await mkdtemp(join(tmpdir(), `tm-broker-${options.port}-`));
  // Started as root, Mosquitto drops to its own user: it must be able to write its persistence file here.
  await chmod(dir, 0o777);
  const conf = join(dir, 'mosquitto.conf');
  const logFile = join(dir, 'mosquitto.log');
  writeFileSync(
    conf,
    readFileSync(join(PROJECT_ROOT, 'test/fixtures/mosquitto-faults.conf'), 'utf8')
      .replaceAll('{{PORT}}', String(options.port))
      .replaceAll('{{PERSISTENCE}}', options.persistence ? 'true' : 'false')
      .replaceAll('{{DIR}}', dir),
  );
  writeFileSync(logFile, '');
  let proc: ChildProcess | undefined;
  const running = () => proc !== undefined && proc.exitCode === null && proc.signalCode === null;
  const log = () => readFileSync(logFile, 'utf8');

  const start = async () => {
    if (running()) throw new Error('broker already running');
    if (await portOpen(options.port)) throw new Error(`port ${options.port} is already taken (a leftover broker?)`);
    // The log goes to a file: a pipe read late would slow the broker down.
    const fd = openSync(logFile, 'a');
    proc = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const deadline = Date.now() + 10_000;
    while (!(await portOpen(options.port))) {
      if (!running()) throw new Error(`mosquitto exited at start:\n${log().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`mosquitto not listening on ${options.port} within 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const p = proc;
    if (!p || !running()) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill(signal);
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    url: `mqtt://127.0.0.1:${options.port}`,
    port: options.port,
    dir,
    log,
    start,
    stop,
    pid: () => (running() ? proc?.pid : undefined),
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}
