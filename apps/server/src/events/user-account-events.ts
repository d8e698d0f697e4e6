import { Injectable, Logger } from '@nestjs/common';
import { Hub } from './hub.js';

/**
 * A committed change of a professional's account: `deactivated` ends their sessions (issue 21);
 * `changed` (role or care teams) makes open consoles re-read the account now (rooms follow).
 */
export interface UserAccountEvent {
  type: 'deactivated' | 'changed';
  userId: string;
}

/**
 * Registry → console: published by UserAdminService after the commit, so that this process closes
 * the user's open consoles at once. Other gateway processes learn it from their periodic
 * re-check of their sockets' users (ConsoleGateway, every 30 s).
 */
@Injectable()
export class UserAccountEvents extends Hub<UserAccountEvent> {
  constructor() {
    super(new Logger('UserAccountEvents'));
  }
}
