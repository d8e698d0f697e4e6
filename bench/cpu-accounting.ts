import { readFileSync } from 'node:fs';
import pg from 'pg';

/** CPU seconds (user + system) of one process so far, from /proc/<pid>/stat; undefined if gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    return ticks / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux the project runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

export interface CpuSnapshot {
  at: number;
  /** Named processes (backend, broker). */
  named: Record<string, number>;
  /** The bench process itself (main thread, load worker = the simulator). */
  bench: number;
  /** PostgreSQL backends connected to the bench database, by pid. */
  postgres: Map<number, number>;
}

/**
 * Where the CPU goes during the load, so that a run on a busy machine still says what each
 * reading costs: the backend processes, the broker, the bench (mostly the simulator) and the
 * PostgreSQL backends serving the bench database (its shared background processes, WAL writer
 * and checkpointer, serve every database of the server and are not counted).
 */
export class CpuAccounting {
  constructor(
    private readonly databaseUrl: string,
    private readonly named: () => Record<string, number | undefined>,
  ) {}

  async snapshot(): Promise<CpuSnapshot> {
    const named: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.named())) {
      const cpu = pid === undefined ? undefined : processCpuSeconds(pid);
      if (cpu !== undefined) named[name] = cpu;
    }
    const usage = process.cpuUsage();
    const postgres = new Map<number, number>();
    const client = new pg.Client({ connectionString: this.databaseUrl });
    try {
      await client.connect();
      const { rows } = await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
      for (const r of rows) {
        const cpu = processCpuSeconds(r.pid);
        if (cpu !== undefined) postgres.set(r.pid, cpu);
      }
    } catch {
      // Not on this machine (remote DATABASE_URL) or no access: PostgreSQL is not counted.
    } finally {
      await client.end().catch(() => undefined);
    }
    return { at: Date.now(), named, bench: (usage.user + usage.system) / 1e6, postgres };
  }
}

/** CPU seconds used between two snapshots, per component. */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, end] of Object.entries(b.named)) out[name] = round(end - (a.named[name] ?? 0));
  out.bench = round(b.bench - a.bench);
  let pgSeconds = 0;
  for (const [pid, end] of b.postgres) pgSeconds += end - (a.postgres.get(pid) ?? 0);
  out.postgres = round(pgSeconds);
  return out;
}

const round = (v: number) => Math.round(v * 100) / 100;
