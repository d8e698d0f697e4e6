import 'dotenv/config';
import { ConfigError, loadConfig } from './config/app-config.js';
import { run } from './bootstrap.js';
import { createAppLogger } from './common/app-logger.js';
import { assertPublicBaseUrl } from './common/http-security.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
    assertPublicBaseUrl(config); // before any service starts (createApp checks it again)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createAppLogger(config);
  const { stop } = await run(config, logger);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ context: 'Bootstrap' }, `${signal}: shutting down`);
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
