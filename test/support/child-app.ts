import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../apps/server/src/paths.js';

/** The built server entry (dist/ is built once per test run by the global setup). */
export const SERVER_ENTRY = join(PROJECT_ROOT, 'dist', 'apps', 'server', 'src', 'main.js');

export interface ChildApp {
  proc: ChildProcess;
  /** The same as `proc`. */
  process: ChildProcess;
  /** Everything the child wrote to stdout and stderr so far (the last 200 kB). */
  output: () => string;
  /** Resolves once `pattern` appears in the output (rejects after timeoutMs or if the child exits). */
  waitFor: (pattern: RegExp, timeoutMs: number) => Promise<void>;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  kill: (signal?: NodeJS.Signals) => Promise<number | string>;
}

/**
 * Runs the real product (dist/, built once per test run by the global setup) as a child process
 * with the given environment (nothing inherited but PATH/HOME), for tests that kill or restart it.
 */
export function startChildApp(env: Record<string, string>): ChildApp {
  const proc = spawn(process.execPath, ['--enable-source-maps', SERVER_ENTRY], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    text = (text + d.toString('utf8')).slice(-200_000);
    for (const l of listeners) l();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    proc,
    process: proc,
    output: () => text,
    exited,
    kill: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
    waitFor: (pattern, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(text)) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`child output did not match ${pattern} within ${timeoutMs} ms:\n${text.slice(-3000)}`));
        }, timeoutMs);
        void exited.then((code) => {
          if (!listeners.has(check)) return;
          cleanup();
          reject(new Error(`child exited (${code}) before ${pattern}:\n${text.slice(-3000)}`));
        });
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      }),
  };
}

/** Polls an HTTP URL until it answers 200; fails at once if the child process exits first. */
export async function waitForHttpOk(url: string, timeoutMs: number, child?: ChildApp): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child && (child.proc.exitCode !== null || child.proc.signalCode !== null)) {
      throw new Error(`process exited before ${url} was ready`);
    }
    try {
      const res = await fetch(url);
      if (res.status === 200) return Date.now() - started;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms`);
}
