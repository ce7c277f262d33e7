// A Server-Sent Events client for the tests of `GET /stream`: fetch's body read as it arrives, parsed by the SSE
// rules (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).

/** One message: `event:` (default `message`), `data:` (lines joined), `id:` when given, and when it arrived (ms). */
export interface SseMessage {
  event: string;
  data: string;
  id?: string;
  /** `performance.timeOrigin + performance.now()` at receipt, ms since the epoch. */
  receivedAt: number;
}

/** An open stream: the messages so far, a wait for the next one that matches, and close. */
export interface SseStream {
  status: number;
  headers: Headers;
  messages: SseMessage[];
  /** The `retry:` field, when one came. */
  retry?: number;
  /** Resolves with the first message (from the start) matching `match` that was not taken before; rejects when the stream ends first. */
  next(match?: (m: SseMessage) => boolean): Promise<SseMessage>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** Opens `url` as an event stream (GET with `headers`); a non-200 answer is returned with no messages. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream & { body?: string }> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const messages: SseMessage[] = [];
  const taken = new Set<SseMessage>();
  const waiters: { match: (m: SseMessage) => boolean; resolve: (m: SseMessage) => void; reject: (e: Error) => void }[] = [];
  let done = false;
  const stream: SseStream & { body?: string } = {
    status: res.status,
    headers: res.headers,
    messages,
    next(match = () => true) {
      const found = messages.find((m) => !taken.has(m) && match(m));
      if (found) {
        taken.add(found);
        return Promise.resolve(found);
      }
      if (done) return Promise.reject(new Error(`the stream ended; messages: ${messages.map((m) => m.event).join(', ')}`));
      return new Promise((resolve, reject) => waiters.push({ match, resolve, reject }));
    },
    ended: Promise.resolve(),
    close: () => abort.abort(),
  };
  if (res.status !== 200) {
    stream.body = await res.text();
    return stream;
  }
  const deliver = (m: SseMessage): void => {
    messages.push(m);
    const i = waiters.findIndex((w) => w.match(m));
    if (i >= 0) {
      taken.add(m);
      waiters.splice(i, 1)[0].resolve(m);
    }
  };
  stream.ended = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    let event = '';
    let data: string[] = [];
    let id: string | undefined;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const receivedAt = performance.timeOrigin + performance.now();
        buffer += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line === '') {
            if (data.length > 0) deliver({ event: event || 'message', data: data.join('\n'), ...(id !== undefined ? { id } : {}), receivedAt });
            event = '';
            data = [];
            id = undefined;
            continue;
          }
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = value;
          else if (field === 'data') data.push(value);
          else if (field === 'id') id = value;
          else if (field === 'retry') stream.retry = Number(value);
        }
      }
    } catch {
      // aborted by close()
    }
    done = true;
    for (const w of waiters.splice(0)) w.reject(new Error(`the stream ended; messages: ${messages.map((m) => m.event).join(', ')}`));
  })();
  return stream;
}
