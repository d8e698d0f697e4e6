import type { Role } from '#domain';

/** The authenticated professional behind a request or a socket, with current team memberships. */
export interface Principal {
  userId: string;
  username: string;
  role: Role;
  careTeamIds: string[];
  /** Client address, for the audit log. */
  ip?: string;
}

export interface AccessTokenPayload {
  sub: string;
  role: Role;
}
