// The HTTP plumbing of `baton serve` (node:http): JSON answers and errors, bodies read within a limit and decoded
// strictly (UTF-8, JSON), path segments, closing a connection after an answer, runtime errors as HTTP statuses.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { BatonError } from '@baton/runtime';

/** An HTTP error answered as `{"error": {"code", "message"}}` (with `headers`, e.g. `Retry-After`). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * Answers what node:http could not read as a request — a malformed request line, header or chunk (400
 * `BAD_REQUEST`), headers too large (431 `HEADERS_TOO_LARGE`), a request that did not arrive within the request
 * timeout (408 `REQUEST_TIMEOUT`) — with the same JSON error as every other refusal, then closes the
 * connection. When an answer was already being written on it, or the peer is gone, the connection is only closed.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const inProgress = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (error.code === 'ECONNRESET' || !socket.writable || inProgress) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'HEADERS_TOO_LARGE', 'the request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'REQUEST_TIMEOUT', 'the request did not arrive in time']
        : [400, 'Bad Request', 'BAD_REQUEST', `the request is not valid HTTP/1.1 (${error.code ?? 'unreadable'})`];
  const text = JSON.stringify({ error: { code, message } });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
  // a peer that never reads the answer cannot hold the connection open
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

export function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * A percent-encoded path segment, decoded. @throws HttpError 400 `BAD_PATH` when it is not UTF-8 percent-encoding,
 * or when it decodes to a NUL character (no run id, event name or delivery id has one; PostgreSQL text cannot hold it).
 */
export function decodeSegment(segment: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'BAD_PATH', `the path segment "${segment.slice(0, 80)}" is not valid percent-encoded UTF-8`);
  }
  if (decoded.includes('\u0000')) throw new HttpError(400, 'BAD_PATH', `the path segment "${segment.slice(0, 80)}" contains a NUL character (%00)`);
  return decoded;
}

export function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** How long a connection whose request body was refused unread keeps being drained after the answer, ms. */
const LINGER_MS = 2_000;

/**
 * Closes the connection of a request whose body was not read to its end, after its answer is written: the
 * answer says `Connection: close`, the rest of the body is read and dropped (so the peer reads the answer
 * instead of a reset — closing a socket with unread input sends RST, which can discard the answer at the peer),
 * and the socket is destroyed when the body ends or after {@link LINGER_MS} (an endless body cannot hold it).
 */
export function closeAfterAnswer(req: http.IncomingMessage, res: http.ServerResponse): void {
  res.shouldKeepAlive = false;
  res.setHeader('connection', 'close');
  req.removeAllListeners('data');
  req.resume();
  res.once('finish', () => {
    const socket = req.socket;
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
}

/**
 * The raw body, at most `limit` bytes: beyond it, 413 `BODY_TOO_LARGE` (a declared Content-Length is checked
 * before reading; a chunked body is counted as it arrives). What is left of a refused body is not read: the
 * caller's answer closes the connection ({@link closeAfterAnswer}).
 */
export function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new HttpError(413, 'BODY_TOO_LARGE', `the body is ${declared} bytes; the limit is ${limit}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        reject(new HttpError(413, 'BODY_TOO_LARGE', `the body is over the ${limit}-byte limit`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', (error) => reject(new HttpError(400, 'BAD_REQUEST', error.message)));
  });
}

/** Decodes UTF-8 and throws at the first malformed sequence (overlong forms, surrogates, truncations included). */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The body as JSON: 415 `UNSUPPORTED_MEDIA_TYPE` unless the content type is JSON, 400 `BODY_NOT_UTF8` (naming
 * the byte offset of the first malformed sequence) when it is not valid UTF-8 — never decoded with U+FFFD
 * replacements — and 400 `BAD_JSON` when it does not parse.
 */
export function parseJson(raw: Buffer, req: http.IncomingMessage): unknown {
  const type = header(req, 'content-type') ?? '';
  if (raw.length > 0 && !/^application\/(.+\+)?json\b/i.test(type)) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `send JSON (Content-Type: application/json), not ${type || 'no content type'}`);
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new HttpError(400, 'BODY_NOT_UTF8', `the body is not valid UTF-8 (a malformed byte sequence at byte ${firstMalformedUtf8(raw)}); send JSON encoded as UTF-8`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, 'BAD_JSON', `the body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * The offset (bytes) of the first malformed UTF-8 sequence in `bytes` (its length when there is none), by the
 * well-formed byte sequences of the Unicode Standard, table 3-7: no overlong forms, no surrogates, nothing above
 * U+10FFFF, no truncated sequence.
 */
export function firstMalformedUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    // [length, allowed range of the second byte] by the lead byte (table 3-7)
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) n = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 3;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 4;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + n > bytes.length) return i;
    if (bytes[i + 1] < lo || bytes[i + 1] > hi) return i;
    for (let k = 2; k < n; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return i;
    i += n;
  }
  return i;
}

/** Runtime errors as HTTP answers: unknown runs 404, conflicts 409, bad input 422, the rest 500. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof BatonError) {
    switch (error.code) {
      case 'RUN_NOT_FOUND':
        return new HttpError(404, error.code, error.message);
      case 'RUN_ID_AMBIGUOUS':
      case 'INPUT_INVALID':
      case 'DECISION_INVALID':
      case 'EVENT_DATA_INVALID':
      case 'UNKNOWN_FLOW':
        return new HttpError(422, error.code, error.message);
      case 'RUN_FINISHED':
      case 'TASK_NOT_WAITING':
      case 'EVENT_NOT_AWAITED':
      case 'EVENT_BUFFER_FULL':
      case 'RUN_NOT_FAILED':
      case 'RUN_COMPENSATED':
      case 'RUN_NOT_MIGRATABLE':
      case 'RUN_CHANGED':
      case 'RUN_BUSY':
        return new HttpError(409, error.code, error.message);
      case 'EXECUTOR_STOPPED':
      case 'STORE_BUSY':
        return new HttpError(503, error.code, error.message);
    }
    return new HttpError(500, error.code, error.message);
  }
  return new HttpError(500, 'INTERNAL', 'the server could not handle this request');
}
