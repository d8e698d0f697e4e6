import { Worker } from 'node:worker_threads';
import type { LoadProgressMessage, LoadSummary, LoadWorkerInput, LoadWorkerMessage, PublishMark } from './load-protocol.js';

export interface RunningLoad {
  /** Resolves when the load has connected every device and starts publishing. */
  started: Promise<{ connected: number; startedAt: number }>;
  /** Resolves with the summary once the duration is over and the last PUBACKs are in. */
  done: Promise<LoadSummary>;
  marks: PublishMark[];
  progress: LoadProgressMessage[];
  stop: () => Promise<void>;
}

/** Runs bench/load-worker.ts in a worker thread. */
export function startLoad(input: LoadWorkerInput, onProgress?: (p: LoadProgressMessage) => void): RunningLoad {
  const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: input });
  const marks: PublishMark[] = [];
  const progress: LoadProgressMessage[] = [];
  let resolveStarted!: (v: { connected: number; startedAt: number }) => void;
  let resolveDone!: (s: LoadSummary) => void;
  let rejectAll!: (err: Error) => void;
  const started = new Promise<{ connected: number; startedAt: number }>((resolve, reject) => {
    resolveStarted = resolve;
    rejectAll = reject;
  });
  const done = new Promise<LoadSummary>((resolve, reject) => {
    resolveDone = resolve;
    const previous = rejectAll;
    rejectAll = (err) => {
      previous(err);
      reject(err);
    };
  });
  // Both promises may be awaited late: never an unhandled rejection.
  started.catch(() => undefined);
  done.catch(() => undefined);
  worker.on('message', (m: LoadWorkerMessage) => {
    if (m.type === 'started') resolveStarted({ connected: m.connected, startedAt: m.startedAt });
    else if (m.type === 'marks') for (const mark of m.marks) marks.push(mark);
    else if (m.type === 'progress') {
      progress.push(m);
      onProgress?.(m);
    } else if (m.type === 'done') resolveDone(m.summary);
    else if (m.type === 'error') rejectAll(new Error(`load worker: ${m.message}`));
  });
  // @types/node 26 types what a worker throws as unknown: it need not be an Error.
  worker.on('error', (err) => rejectAll(err instanceof Error ? err : new Error(`load worker: ${String(err)}`)));
  worker.on('exit', (code) => rejectAll(new Error(`load worker exited (${code}) before it finished`)));
  return {
    started,
    done,
    marks,
    progress,
    stop: async () => {
      worker.postMessage({ type: 'stop' });
      await Promise.race([done.catch(() => undefined), new Promise((r) => setTimeout(r, 40_000))]);
      await worker.terminate();
    },
  };
}
