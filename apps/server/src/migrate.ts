import 'dotenv/config';
import { loadConfig } from './config/app-config.js';
import { prepareDatabase, startInfrastructure } from './bootstrap.js';
import { createAppLogger } from './common/app-logger.js';

/** `npm run migrate`: applies pending migrations (to the embedded database when none is configured). */
const config = loadConfig();
// The app's logger and format (JSON in production, readable on a terminal), like `npm start`.
const logger = createAppLogger(config).child({ context: 'Migrate' });
const log = (m: string) => logger.info(m);
const infra = await startInfrastructure({ ...config, database: { ...config.database, migrateOnStart: true } }, log, { broker: false });
try {
  await prepareDatabase(infra.config, log);
} finally {
  await infra.stop();
}
