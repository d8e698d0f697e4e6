import 'dotenv/config';
import { loadConfig } from './config/app-config.js';
import { prepareDatabase, startInfrastructure } from './bootstrap.js';

/** `npm run migrate`: applies pending migrations (to the embedded database when none is configured). */
const config = loadConfig();
const log = (m: string) => process.stdout.write(`${m}\n`);
const infra = await startInfrastructure({ ...config, database: { ...config.database, migrateOnStart: true } }, log, { broker: false });
try {
  await prepareDatabase(infra.config, log);
} finally {
  await infra.stop();
}
