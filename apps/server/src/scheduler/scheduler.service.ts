import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AlertJobsService } from '../alerts/alert-jobs.service.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

interface Job {
  name: string;
  everyMs: number;
  run: (now: Date) => Promise<unknown>;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
}

/**
 * Runs the alert jobs periodically (process role 'scheduler'): escalations, silent devices and the
 * nightly rules. A job never overlaps itself; shutdown stops the timers and waits for running jobs.
 * The jobs themselves (AlertJobsService) take the time as a parameter and are safe to run in
 * several scheduler processes at once.
 */
@Injectable()
export class SchedulerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Scheduler');
  private readonly jobs: Job[];
  private stopped = false;

  constructor(
    jobs: AlertJobsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const s = config.scheduler;
    this.jobs = [
      { name: 'escalation', everyMs: s.escalationEverySeconds * 1000, run: (now) => jobs.escalateDue(now) },
      { name: 'device-silence', everyMs: s.silenceEverySeconds * 1000, run: (now) => jobs.checkSilentDevices(now) },
      { name: 'nightly-rules', everyMs: s.nightlyEverySeconds * 1000, run: (now) => jobs.runNightly(now) },
      // Snoozes ended since the last run (twice the period: a late tick misses none; reruns are harmless).
      { name: 'snoozes-ended', everyMs: s.escalationEverySeconds * 1000, run: (now) => jobs.afterSnoozesEnded(now, 2 * s.escalationEverySeconds * 1000) },
    ];
  }

  onApplicationBootstrap(): void {
    for (const job of this.jobs) {
      job.timer = setInterval(() => this.tick(job), job.everyMs);
      job.timer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const job of this.jobs) clearInterval(job.timer);
    await Promise.all(this.jobs.map((j) => j.running));
  }

  /** Runs one job now (unless it is already running). */
  tick(job: Job): Promise<void> {
    if (this.stopped || job.running) return job.running ?? Promise.resolve();
    const started = Date.now();
    job.running = job
      .run(new Date(started))
      .then((result) => this.logger.debug({ job: job.name, ms: Date.now() - started, result }, 'job done'))
      .catch((err: unknown) => this.logger.error({ err, job: job.name }, 'job failed'))
      .finally(() => {
        job.running = undefined;
      });
    return job.running;
  }

  /** Names of the scheduled jobs and their periods (ms). */
  get schedule(): { name: string; everyMs: number }[] {
    return this.jobs.map((j) => ({ name: j.name, everyMs: j.everyMs }));
  }
}
