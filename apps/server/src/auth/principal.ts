import type { Role } from '#domain';

/** The authenticated professional behind a request or a socket, with current team memberships. */
export interface Principal {
  userId: string;
  username: string;
  role: Role;
  careTeamIds: string[];
  /** Client address, for the audit log. */
  ip?: string;
  /** The login (refresh-token family) the access token belongs to. */
  sessionId?: string;
}

export interface AccessTokenPayload {
  sub: string;
  role: Role;
  /** The refresh-token family (login) of the token; absent on tokens issued before sessions. */
  sid?: string;
  /** Set by the signer (expiresIn); a token without it is refused. */
  exp?: number;
}
