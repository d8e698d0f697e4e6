/** A minimal client of the backend's REST API (CONTRACT.md §4) for provisioning and verification. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export class RestClient {
  private token: string | undefined;

  constructor(
    readonly baseUrl: string,
    token?: string,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.token = token;
  }

  async login(username: string, password: string): Promise<void> {
    const res = await this.request<{ accessToken: string }>('POST', '/api/auth/login', { username, password });
    this.token = res.accessToken;
  }

  get hasToken(): boolean {
    return this.token !== undefined;
  }

  get accessToken(): string | undefined {
    return this.token;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new RestError(0, undefined, `${method} ${this.baseUrl}${path}: ${(err as Error).message}`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const err = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new RestError(res.status, err?.code, `${method} ${path} → ${res.status}${err?.code ? ` ${err.code}` : ''}${err?.message ? `: ${err.message}` : ''}`);
    }
    return parsed as T;
  }
}
