import { Inject, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DefaultEventsMap, Namespace, Socket } from 'socket.io';
import type { AlertView } from '#domain';
import { AlertLifecycleService } from '../alerts/alert-lifecycle.service.js';
import { AuditService } from '../audit/audit.service.js';
import { AuthService } from '../auth/auth.service.js';
import type { Principal } from '../auth/principal.js';
import { AppError, type ErrorBody } from '../common/app-error.js';
import { toErrorBody } from '../common/all-exceptions.filter.js';
import { AlertEventsHub, UserAccountEvents, type AlertEventMessage } from '../events/event-hubs.js';
import { METRICS_REGISTRY } from '../metrics/metrics.module.js';
import type { RelayPayload } from './alert-relay.codec.js';
import { AlertRelayListener } from './alert-relay.listener.js';
import { AlertActionDto, parsePayload, RenewDto, SyncDto } from './console.dto.js';
import { CONSOLE_NAMESPACE, roomsFor, roomsOf, toConsoleAlert, type ServerToClientEvents, type SyncResult } from './console-events.js';
import { ConsoleRedis } from './console-redis.js';
import { ConsoleRepository } from './console.repository.js';

interface SocketData {
  principal: Principal;
  /** When the connection's access token expires (epoch ms): auth.renew moves it, else the socket ends then. */
  expiresAt: number;
}
type ConsoleSocket = Socket<DefaultEventsMap, ServerToClientEvents, DefaultEventsMap, SocketData>;
type ConsoleNamespace = Namespace<DefaultEventsMap, ServerToClientEvents, DefaultEventsMap, SocketData>;

/** How often open consoles' users are re-read (deactivation, care-team changes). */
export const REVALIDATE_INTERVAL_MS = 30000;

/**
 * The nurse console's live channel (CONTRACT.md §2, §9). Authentication happens in the handshake
 * middleware: a socket without a valid token never connects and receives nothing. A connection
 * lasts as long as its token: `auth.renew { token }` extends it, else at the token's expiry the
 * server emits `auth.expired` and disconnects (also when the user is deactivated).
 * Each socket joins one room per care team of its user (and physicians their own room, for
 * escalations); committed alert events from the AlertEventsHub go to those rooms only.
 */
@WebSocketGateway({
  namespace: CONSOLE_NAMESPACE,
  // Console messages are tiny; refuse anything large before parsing it.
  maxHttpBufferSize: 64 * 1024,
  // Detect a dead link within ~15 s so the page can show it (defaults: 25 s + 20 s).
  pingInterval: 10000,
  pingTimeout: 5000,
})
export class ConsoleGateway implements OnGatewayInit<ConsoleNamespace>, OnGatewayConnection, OnGatewayDisconnect, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ConsoleGateway');
  @WebSocketServer() private nsp!: ConsoleNamespace;
  private unsubscribe?: () => void;
  private unsubscribeAccounts?: () => void;
  /** Per socket: the timer that ends it at its token's expiry. */
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();
  private revalidateTimer?: NodeJS.Timeout;
  private readonly connected: Gauge;
  private readonly emitted: Counter<'source'>;
  private readonly refused: Counter<'code'>;

  constructor(
    private readonly auth: AuthService,
    private readonly repo: ConsoleRepository,
    private readonly lifecycle: AlertLifecycleService,
    private readonly audit: AuditService,
    private readonly hub: AlertEventsHub,
    private readonly redis: ConsoleRedis,
    private readonly relay: AlertRelayListener,
    private readonly accountEvents: UserAccountEvents,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.connected = new Gauge({ name: 'tm_console_sockets', help: 'Consoles connected to this process', registers: [registry] });
    this.emitted = new Counter({
      name: 'tm_console_alert_events_emitted_total',
      help: 'Alert events emitted to consoles by this process (source: local hub or relay from another process)',
      labelNames: ['source'],
      registers: [registry],
    });
    this.refused = new Counter({
      name: 'tm_console_handshakes_refused_total',
      help: 'Console connections refused in the handshake',
      labelNames: ['code'],
      registers: [registry],
    });
  }

  afterInit(nsp: ConsoleNamespace): void {
    this.redis.attach(nsp.server, () => this.requestResync('redis'));
    nsp.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (err: unknown) => {
          const { body } = toErrorBody(err);
          this.refused.inc({ code: body.error.code });
          // The client gets connect_error with this message and `data.code`; nothing else.
          next(Object.assign(new Error(body.error.message), { data: { code: body.error.code } }));
        },
      );
    });
  }

  async onModuleInit(): Promise<void> {
    this.unsubscribe = this.hub.subscribe(async (message) => this.deliver(message, 'hub'));
    // This process's consoles of a deactivated user close at once; other processes' at their next re-check.
    // A role or team change: this process's consoles follow it now (rooms), others at their re-check.
    this.unsubscribeAccounts = this.accountEvents.subscribe(async (event) => {
      if (event.type === 'changed') return this.revalidate();
      for (const socket of this.nsp.sockets.values()) if (socket.data.principal.userId === event.userId) this.endSession(socket, 'deactivated');
    });
    await this.relay.start({
      onPayload: (payload) => void this.deliverRelayed(payload),
      onRestored: () => this.requestResync('relay'),
    });
    this.revalidateTimer = setInterval(() => void this.revalidate(), REVALIDATE_INTERVAL_MS);
    this.revalidateTimer.unref();
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.unsubscribeAccounts?.();
    for (const timer of this.expiryTimers.values()) clearTimeout(timer);
    if (this.revalidateTimer) clearInterval(this.revalidateTimer);
  }

  handleConnection(socket: ConsoleSocket): void {
    const principal = socket.data.principal;
    void socket.join(roomsFor(principal));
    this.scheduleExpiry(socket);
    this.connected.inc();
    this.logger.log({ userId: principal.userId, socketId: socket.id, teams: principal.careTeamIds.length }, 'console connected');
    void this.audit
      .record({ action: 'console.connect', actor: principal, targetType: 'socket', targetId: socket.id })
      .catch((err: unknown) => this.logger.error({ err }, 'audit write failed'));
  }

  handleDisconnect(socket: ConsoleSocket): void {
    clearTimeout(this.expiryTimers.get(socket.id));
    this.expiryTimers.delete(socket.id);
    if (socket.data.principal) this.connected.dec();
  }

  /**
   * A new access token for this connection (the page got it from POST /api/auth/refresh): the
   * socket lives on until the new token's expiry. It must be the same user's; a bad token changes
   * nothing (the current one still runs out at its time).
   */
  @SubscribeMessage('auth.renew')
  async onRenew(@ConnectedSocket() socket: ConsoleSocket, @MessageBody() body: unknown): Promise<{ expiresAt: string } | ErrorBody> {
    try {
      const { token } = parsePayload(RenewDto, body);
      const verified = await this.auth.verifyAccess(token, socket.handshake.address);
      if (verified.principal.userId !== socket.data.principal.userId) throw new AppError('FORBIDDEN', 'the token belongs to another user');
      socket.data.expiresAt = verified.expiresAt;
      this.applyScope(socket, verified.principal);
      this.scheduleExpiry(socket);
      return { expiresAt: new Date(verified.expiresAt).toISOString() };
    } catch (err) {
      const { status, body: error } = toErrorBody(err);
      if (status >= 500) this.logger.error({ err, correlationId: error.error.correlationId, socketId: socket.id }, 'console renew failed');
      return error;
    }
  }

  @SubscribeMessage('alerts.sync')
  onSync(@ConnectedSocket() socket: ConsoleSocket, @MessageBody() body: unknown): Promise<SyncResult | ErrorBody> {
    return this.answer(socket, async (principal) => {
      const { afterId } = parsePayload(SyncDto, body, true);
      const result = await this.repo.sync(principal, afterId);
      await this.audit.record({
        action: 'alert.sync',
        actor: principal,
        targetType: 'alert_events',
        details: { afterId: afterId ?? null, count: result.alerts.length, lastEventId: result.lastEventId },
      });
      return result;
    });
  }

  @SubscribeMessage('alert.ack')
  onAck(@ConnectedSocket() socket: ConsoleSocket, @MessageBody() body: unknown): Promise<AlertView | ErrorBody> {
    return this.answer(socket, async (principal) => {
      const { id, note } = parsePayload(AlertActionDto, body);
      return this.lifecycle.acknowledge(principal, id, note);
    });
  }

  @SubscribeMessage('alert.resolve')
  onResolve(@ConnectedSocket() socket: ConsoleSocket, @MessageBody() body: unknown): Promise<AlertView | ErrorBody> {
    return this.answer(socket, async (principal) => {
      const { id, note } = parsePayload(AlertActionDto, body);
      return this.lifecycle.resolve(principal, id, note);
    });
  }

  /** Emits a committed event to its rooms: through the adapter (all processes) or, for relayed ones, locally. */
  private deliver(message: AlertEventMessage, source: 'hub' | 'relay'): void {
    const rooms = roomsOf(message);
    const target = source === 'relay' ? this.nsp.local.to(rooms) : this.nsp.to(rooms);
    target.emit(message.event, toConsoleAlert(message));
    this.emitted.inc({ source });
  }

  private async deliverRelayed(payload: RelayPayload): Promise<void> {
    try {
      const message = 'message' in payload ? payload.message : await this.repo.eventMessage(payload.eventId);
      if (message) this.deliver(message, 'relay');
    } catch (err) {
      this.logger.error({ err }, 'relayed alert event not delivered (consoles get it on sync)');
    }
  }

  private requestResync(reason: string): void {
    this.logger.log({ reason }, 'asking consoles to re-sync');
    this.nsp.local.emit('alerts.resync');
  }

  private async authenticate(socket: ConsoleSocket): Promise<void> {
    const auth: unknown = socket.handshake.auth;
    const token = typeof auth === 'object' && auth !== null && typeof (auth as { token?: unknown }).token === 'string'
      ? (auth as { token: string }).token
      : undefined;
    const verified = await this.auth.verifyAccess(token, socket.handshake.address);
    socket.data.principal = verified.principal;
    socket.data.expiresAt = verified.expiresAt;
  }

  /** (Re)arms the socket's end at its token's expiry. */
  private scheduleExpiry(socket: ConsoleSocket): void {
    clearTimeout(this.expiryTimers.get(socket.id));
    const timer = setTimeout(() => this.endSession(socket, 'expired'), Math.max(0, socket.data.expiresAt - Date.now()));
    timer.unref();
    this.expiryTimers.set(socket.id, timer);
  }

  /** Tells the page why (`auth.expired`), then disconnects: the page signs in again or refreshes and reconnects. */
  private endSession(socket: ConsoleSocket, reason: 'expired' | 'deactivated'): void {
    if (socket.disconnected) return;
    this.logger.log({ userId: socket.data.principal.userId, socketId: socket.id, reason }, 'console session ended');
    socket.emit('auth.expired', { reason });
    // After the event has been flushed to the client.
    setImmediate(() => socket.disconnect(true));
  }

  /**
   * Runs a client request with the user's current memberships (re-read now: a nurse removed from
   * a team must not act on its alerts), and answers through the acknowledgement callback with the
   * result or `{ error: { code, message } }`; nothing a client sends can throw out of here.
   */
  private async answer<T>(socket: ConsoleSocket, work: (principal: Principal) => Promise<T>): Promise<T | ErrorBody> {
    try {
      const principal = await this.refreshPrincipal(socket);
      return await work(principal);
    } catch (err) {
      const { status, body } = toErrorBody(err);
      if (status >= 500) this.logger.error({ err, correlationId: body.error.correlationId, socketId: socket.id }, 'console request failed');
      return body;
    }
  }

  private async refreshPrincipal(socket: ConsoleSocket): Promise<Principal> {
    const current = socket.data.principal;
    const scope = (await this.repo.scopes([current.userId])).get(current.userId);
    if (!scope || !scope.active) {
      this.endSession(socket, 'deactivated');
      throw new AppError('UNAUTHENTICATED', 'user is no longer active');
    }
    if (socket.data.expiresAt <= Date.now()) {
      this.endSession(socket, 'expired');
      throw new AppError('TOKEN_EXPIRED', 'access token expired');
    }
    const principal: Principal = { ...current, role: scope.role, careTeamIds: scope.careTeamIds };
    this.applyScope(socket, principal);
    return principal;
  }

  /** Re-reads the users of every console on this process; follows team changes, drops deactivated users. */
  private async revalidate(): Promise<void> {
    const sockets = [...this.nsp.sockets.values()];
    if (sockets.length === 0) return;
    try {
      const scopes = await this.repo.scopes([...new Set(sockets.map((s) => s.data.principal.userId))]);
      for (const socket of sockets) {
        const scope = scopes.get(socket.data.principal.userId);
        if (!scope || !scope.active) this.endSession(socket, 'deactivated');
        else this.applyScope(socket, { ...socket.data.principal, role: scope.role, careTeamIds: scope.careTeamIds });
      }
    } catch (err) {
      this.logger.warn({ err }, 'console revalidation failed; will retry');
    }
  }

  private applyScope(socket: ConsoleSocket, principal: Principal): void {
    socket.data.principal = principal;
    const wanted = new Set(roomsFor(principal));
    for (const room of socket.rooms) if (room !== socket.id && !wanted.has(room)) void socket.leave(room);
    const missing = [...wanted].filter((r) => !socket.rooms.has(r));
    if (missing.length > 0) void socket.join(missing);
  }
}
