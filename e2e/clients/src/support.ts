// Shared by the client tests: where the API is, the token, a fetch that
// counts requests, and small helpers. Nothing client-specific.
import possibleTypesResult from './__generated__/possible-types.js';
import type { MeasureStatus } from './__generated__/schema.js';

function required(name: string, hint: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: ${hint} (e2e/run.sh sets it for you)`);
  return v;
}

const apiUrl = (() => {
  const raw = required('API_URL', "set it to the running API's base URL, e.g. API_URL=http://127.0.0.1:8080");
  const u = new URL(raw.endsWith('/') ? raw : `${raw}/`);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(`API_URL=${JSON.stringify(raw)} must be an http:// or https:// URL`);
  }
  return u;
})();

/** GraphQL over HTTP, and over WebSocket (graphql-ws) at the same path. */
export const endpoints = {
  http: new URL('graphql', apiUrl).href,
  ws: new URL('graphql', apiUrl).href.replace(/^http/, 'ws'),
};

/** A token listed in the server's API_TOKENS (sent as Authorization: Bearer). */
export function apiToken(): string {
  return required('API_TOKEN', 'mutations and subscriptions need a token the API accepts: API_TOKEN=<secret of an API_TOKENS entry>');
}

/** The name of that token's API_TOKENS entry, when known (the author of changes). */
export const apiTokenName = process.env.API_TOKEN_NAME || undefined;

/** The bundled plan (data/shenzhen-2019-2025.yaml). Its connection is walked
 * rather than the root `measures`, which also holds any other plan loaded
 * into the same database (e.g. the benchmarks' synthetic 100 000 measures). */
export const PLAN = 'shenzhen-pdz-action-plan';

/** Node's implementations, generated from the running server's schema. */
export const possibleTypes = possibleTypesResult.possibleTypes;
export const nodeTypes: readonly string[] = possibleTypes['Node'] ?? [];

/** A fetch that counts the requests it sends, with their operation names. */
export function countingFetch() {
  const sent: string[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    let op = '?';
    const body = init?.body;
    if (typeof body === 'string') {
      try {
        op = (JSON.parse(body) as { operationName?: string }).operationName ?? '?';
      } catch {
        /* not JSON */
      }
    } else {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      op = url.searchParams.get('operationName') ?? '?';
    }
    sent.push(op);
    return fetch(input, init);
  };
  return {
    fetch: fetchFn,
    /** how many requests went out so far */
    get count() {
      return sent.length;
    },
    /** the operation names of the requests sent so far */
    get operations() {
      return [...sent];
    },
  };
}

/** A status different from current (and from avoid), so that a change shows. */
export function otherStatus(current: MeasureStatus, avoid?: MeasureStatus): MeasureStatus {
  const cycle: MeasureStatus[] = ['PLANNED', 'IN_PROGRESS', 'COMPLETED'];
  const pick = cycle.find((s) => s !== current && s !== avoid);
  if (!pick) throw new Error('no other status');
  return pick;
}

/** Rejects after ms with a message naming what was awaited. */
export function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
    }),
  ]);
}

/** Values pushed from a callback, awaited one by one (for subscription events). */
export class Inbox<T> {
  private items: T[] = [];
  private waiters: ((v: T) => void)[] = [];
  push(v: T) {
    const w = this.waiters.shift();
    if (w) w(v);
    else this.items.push(v);
  }
  /** The next value, or undefined when none comes within ms. */
  next(ms: number): Promise<T | undefined> {
    const v = this.items.shift();
    if (v !== undefined) return Promise.resolve(v);
    return new Promise((resolve) => {
      const waiter = (x: T) => {
        clearTimeout(timer);
        resolve(x);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(undefined);
      }, ms);
      this.waiters.push(waiter);
    });
  }
}

/** Records console.warn/console.error output (the clients' diagnostics:
 * a missing possibleTypes, key or field shows up there). */
export function captureConsole() {
  const lines: string[] = [];
  const orig = { warn: console.warn, error: console.error };
  console.warn = (...args: unknown[]) => {
    lines.push(`warn: ${args.map(String).join(' ')}`);
  };
  console.error = (...args: unknown[]) => {
    lines.push(`error: ${args.map(String).join(' ')}`);
  };
  return {
    lines,
    restore() {
      console.warn = orig.warn;
      console.error = orig.error;
    },
  };
}

/** The `extensions.code` of each GraphQL error. */
export function errorCodes(errors: readonly { extensions?: Record<string, unknown> | undefined }[] | undefined): unknown[] {
  return (errors ?? []).map((e) => e.extensions?.['code']);
}

/** Resolves once the graphql-ws client is connected and acknowledged
 * (connection_ack), e.g. after the first subscribe of a lazy client. */
export function connected(ws: { on(event: 'connected', listener: () => void): () => void }, ms = 5000): Promise<void> {
  let off = () => {};
  return within(
    ms,
    'graphql-ws connection_ack',
    new Promise<void>((resolve) => {
      off = ws.on('connected', () => resolve());
    }),
  ).finally(() => off());
}

/**
 * Runs change() until the subscription delivers an event, and returns it.
 * The server registers a subscription asynchronously after the subscribe
 * message and says nothing when it has, so a change made right after
 * subscribing can be missed: repeat the change, waiting a little longer each
 * time (about 12 s in all). Every change must set the same value, so any
 * event shows it.
 */
export async function changeUntilEvent<T>(events: Inbox<T>, change: (attempt: number) => Promise<void>): Promise<{ event: T; attempts: number }> {
  const waits = [500, 1000, 2000, 2000, 3000, 3000];
  for (const [i, wait] of waits.entries()) {
    await change(i + 1);
    const event = await events.next(wait);
    if (event !== undefined) return { event, attempts: i + 1 };
  }
  throw new Error(`no subscription event after ${waits.length} changes`);
}
