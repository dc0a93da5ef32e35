// The shared core of the provider fakes: a small HTTP server on 127.0.0.1 (port 0) that records
// every request, enforces idempotency keys like the real APIs (same key + same body → the stored
// answer again with `Idempotent-Replayed: true`; a different body, or a duplicate while the first
// is still running → the provider's conflict answer), and injects faults on demand. Each provider
// fake (orb.ts, metronome.ts, stripe.ts) adds its routes and state.
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export type FakeRequest = {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  body: unknown;
  idempotencyKey: string | null;
};

export type FakeResponse = { status: number; body: unknown; headers?: Record<string, string> };

/**
 * What can go wrong with one request:
 * - `error_500`, `rate_limit_429`: refused before anything is applied.
 * - `slow`: applied, then answered only after `delayMs` (longer than the client's timeout).
 * - `drop`: applied, then the connection is destroyed before any answer.
 * - `malformed`: applied, then a 200 whose JSON body is cut short (its last character dropped).
 * - `hold`: kept in flight for `delayMs` *before* applying (to race a concurrent duplicate).
 */
export type FaultKind = "error_500" | "rate_limit_429" | "slow" | "drop" | "malformed" | "hold";

export type FaultSpec = {
  kind: FaultKind;
  /** Which requests it applies to (default: any mutating request). */
  match?: (req: FakeRequest) => boolean;
  /** How many matching requests it hits (default 1). */
  times?: number;
  delayMs?: number;
  retryAfterSeconds?: number;
};

export type Route = {
  method: string;
  pattern: RegExp;
  /** Changes state: idempotency applies and faults default to it. */
  mutating: boolean;
  handle: (req: FakeRequest, params: string[]) => FakeResponse | Promise<FakeResponse>;
};

export type IdempotencyStyle = {
  /** Header carrying the key (lower case). */
  header: string;
  /** The answer to a key reused with a different body. */
  mismatch: () => FakeResponse;
  /** The answer to a duplicate while the first is still in flight. */
  inFlight: () => FakeResponse;
};

type StoredKey = { hash: string; state: "in_flight" | "done"; response?: FakeResponse };

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export class FakeHttpServer {
  readonly requests: FakeRequest[] = [];
  private readonly routes: Route[] = [];
  private readonly faults: Array<FaultSpec & { remaining: number }> = [];
  private readonly keys = new Map<string, StoredKey>();
  private readonly sockets = new Set<import("node:net").Socket>();
  private server: http.Server | null = null;
  private pendingTimers = new Set<ReturnType<typeof setTimeout>>();
  port = 0;

  constructor(
    private readonly opts: {
      parseBody: (raw: string, contentType: string | undefined) => unknown;
      idempotency: IdempotencyStyle | null;
      notFound: (req: FakeRequest) => FakeResponse;
      serverError: () => FakeResponse;
      rateLimited: () => FakeResponse;
      /** Requests kept in `requests` (oldest dropped first); a long-running demo fake sets a bound. */
      keepRequests?: number;
    },
  ) {}

  route(method: string, pattern: RegExp, mutating: boolean, handle: Route["handle"]): void {
    this.routes.push({ method, pattern, mutating, handle });
  }

  inject(spec: FaultSpec): void {
    this.faults.push({ ...spec, remaining: spec.times ?? 1 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Requests to a path (regex) and method, for assertions. */
  sent(method: string, pattern: RegExp): FakeRequest[] {
    return this.requests.filter((r) => r.method === method && pattern.test(r.path));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens on 127.0.0.1, on `port` (default 0: any free port). */
  async start(port = 0): Promise<this> {
    this.server = http.createServer((req, res) => void this.onRequest(req, res));
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, "127.0.0.1", () => {
        this.server!.off("error", reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const t of this.pendingTimers) clearTimeout(t);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.pendingTimers.delete(t);
        resolve();
      }, ms);
      this.pendingTimers.add(t);
    });
  }

  private takeFault(req: FakeRequest, mutating: boolean): FaultSpec | null {
    const i = this.faults.findIndex((f) => f.remaining > 0 && (f.match ? f.match(req) : mutating));
    if (i < 0) return null;
    const f = this.faults[i]!;
    f.remaining -= 1;
    if (f.remaining === 0) this.faults.splice(i, 1);
    return f;
  }

  private send(res: http.ServerResponse, r: FakeResponse, raw?: string): void {
    if (res.destroyed || res.writableEnded) return;
    const body = raw ?? JSON.stringify(r.body);
    res.writeHead(r.status, { "content-type": "application/json", ...(r.headers ?? {}) });
    res.end(body);
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const style = this.opts.idempotency;
    const keyHeader = style ? req.headers[style.header] : undefined;
    const fake: FakeRequest = {
      method: (req.method ?? "GET").toUpperCase(),
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      rawBody,
      body: rawBody ? this.opts.parseBody(rawBody, req.headers["content-type"]) : undefined,
      idempotencyKey: typeof keyHeader === "string" ? keyHeader : null,
    };
    this.requests.push(fake);
    if (this.opts.keepRequests !== undefined && this.requests.length > this.opts.keepRequests) this.requests.splice(0, this.requests.length - this.opts.keepRequests);

    let match: { route: Route; params: string[] } | null = null;
    for (const route of this.routes) {
      if (route.method !== fake.method) continue;
      const m = route.pattern.exec(fake.path);
      if (m) {
        match = { route, params: m.slice(1).map(decodeURIComponent) };
        break;
      }
    }
    if (!match) return this.send(res, this.opts.notFound(fake));
    const { route, params } = match;

    const fault = this.takeFault(fake, route.mutating);
    if (fault?.kind === "error_500") return this.send(res, this.opts.serverError());
    if (fault?.kind === "rate_limit_429") {
      const r = this.opts.rateLimited();
      return this.send(res, { ...r, headers: { ...(r.headers ?? {}), "retry-after": String(fault.retryAfterSeconds ?? 1) } });
    }

    // Idempotency, like the providers: only for mutating calls that carry a key.
    const key = route.mutating && style ? fake.idempotencyKey : null;
    const hash = sha256(`${fake.method} ${fake.path}\n${rawBody}`);
    let response: FakeResponse | null = null;
    if (key) {
      const seen = this.keys.get(key);
      if (seen && seen.hash !== hash) response = style!.mismatch();
      else if (seen && seen.state === "in_flight") response = style!.inFlight();
      else if (seen && seen.response) response = { ...seen.response, headers: { ...(seen.response.headers ?? {}), "idempotent-replayed": "true" } };
      else this.keys.set(key, { hash, state: "in_flight" });
    }

    if (!response) {
      if (fault?.kind === "hold") await this.sleep(fault.delayMs ?? 200);
      try {
        response = await route.handle(fake, params);
      } catch (error) {
        if (key) this.keys.delete(key);
        throw error;
      }
      // Like the real APIs, a 5xx is not remembered (the retry runs again); any other answer is.
      if (key) {
        if (response.status >= 500) this.keys.delete(key);
        else this.keys.set(key, { hash, state: "done", response });
      }
    }

    // Faults after the effect apply to replays too: the network does not care.
    if (fault?.kind === "drop") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "slow") {
      await this.sleep(fault.delayMs ?? 2_000);
      return this.send(res, response);
    }
    if (fault?.kind === "malformed") {
      return this.send(res, { status: 200, body: null }, JSON.stringify(response.body).slice(0, -1));
    }
    return this.send(res, response);
  }
}

/** Reads a JSON body; anything else is kept as text. */
export function parseJsonBody(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

let counter = 0;
/** Provider-looking ids: `prefix_000001abcd`. */
export function fakeId(prefix: string): string {
  counter += 1;
  return `${prefix}_${counter.toString().padStart(6, "0")}${Math.random().toString(36).slice(2, 6)}`;
}
