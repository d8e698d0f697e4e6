import { describe, expect, it, jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readCredentials, type LoadSummary } from '#devices-sim';
import { PROJECT_ROOT } from '../../../apps/server/src/paths.js';
import { eventually } from '../../support/test-app.js';
import { TEST_MQTT_URL } from '../../support/test-env.js';
import { readingCount, useSimBackend } from './sim-support.js';

jest.setTimeout(90_000);

const run = promisify(execFile);
/** The simulator's CLI as `npm run sim` runs it (dist/ is built by the tests' global setup). */
const SIM = join(PROJECT_ROOT, 'dist/devices-sim/src/main.js');
/** SpO2, pulse rate and perfusion index in every load sample. */
const READINGS_PER_LOAD_SAMPLE = 3;

/**
 * Load mode through the CLI, the way a device maker or the benchmark uses it: --provision
 * registers the devices with an admin login, then N devices publish at a fixed rate; the text
 * summary and the --json summary agree with what the backend stored.
 */
describe('npm run sim -- --load --provision (CLI, real backend)', () => {
  const sim = useSimBackend({ tempDir: 'sim-load-' });

  it('provisions 3 devices, publishes 2 msg/s × 10 samples each for 3 s, and every acknowledged sample is stored', async () => {
    const { t, used, dir } = sim;
    const admin = await t.ctx.newUser('admin');
    const credentials = join(dir, 'creds.json');
    const json = join(dir, 'summary.json');
    const { stdout, stderr } = await run(
      process.execPath,
      [
        SIM,
        '--load',
        '--provision',
        `--api-url=${t.url}`,
        `--mqtt-url=${TEST_MQTT_URL}`,
        `--admin-user=${admin.username}`,
        `--admin-password=${admin.password}`,
        `--credentials=${credentials}`,
        '--devices=3',
        '--rate=2',
        '--samples-per-message=10',
        '--duration=3',
        `--json=${json}`,
        '--quiet',
      ],
      { cwd: PROJECT_ROOT, timeout: 60_000 },
    ).catch((err: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
    });
    const summary = JSON.parse(await readFile(json, 'utf8')) as LoadSummary;
    expect(summary).toMatchObject({ devices: 3, connected: 3, failed: 0, unacknowledgedAtEnd: 0, errors: [] });
    expect(summary.sent).toBeGreaterThanOrEqual(15); // 3 devices × 2/s × 3 s, give or take a turn
    expect(summary.acknowledged).toBe(summary.sent);
    expect(summary.samplesSent).toBe(summary.sent * 10);
    expect(summary.ackLatencyMs.p50).toEqual(expect.any(Number));
    expect(summary.ackLatencyMs.p99).toBeGreaterThanOrEqual(summary.ackLatencyMs.p50!);
    // The text summary says the same.
    expect(`${stdout}${stderr}`).toContain(`acknowledged  ${summary.acknowledged.toLocaleString('en-US')}`);

    const ids = (await readCredentials(credentials))!.patients.flatMap((p) => p.devices.map((d) => d.deviceId));
    expect(ids).toHaveLength(3);
    used.push(...ids);
    const expected = summary.samplesAcknowledged * READINGS_PER_LOAD_SAMPLE;
    await eventually(async () => (await readingCount(t, ids)) === expected, 30_000, 250);
  });
});
