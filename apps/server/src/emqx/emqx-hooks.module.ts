import { Module } from '@nestjs/common';
import type { Pool } from 'pg';
import { PgDeviceCredentialLookup } from '../broker-auth/embedded-broker-auth.js';
import { PG_POOL } from '../database/database.module.js';
import { EmqxHooksController } from './emqx-hooks.controller.js';
import { DEVICE_CREDENTIALS, EmqxHooksService } from './emqx-hooks.service.js';

/**
 * EMQX 5 asks the backend who may connect, publish and subscribe (issue 19 §4, docs/scaling.md
 * stage 4). Registered with the `api` role when EMQX_HOOK_SECRET is set; otherwise the routes
 * do not exist (404).
 */
@Module({
  controllers: [EmqxHooksController],
  providers: [
    EmqxHooksService,
    { provide: DEVICE_CREDENTIALS, useFactory: (pool: Pool) => new PgDeviceCredentialLookup(pool), inject: [PG_POOL] },
  ],
})
export class EmqxHooksModule {}
