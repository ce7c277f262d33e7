import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as an OTLP/HTTP JSON export carried it (ids in hex, attributes flattened to plain values). */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startMs: number;
  endMs: number;
  status: { code?: number; message?: string };
  attributes: Record<string, string | number | boolean>;
  events: { name: string; attributes: Record<string, string | number | boolean> }[];
  /** The resource's attributes (`service.name`, …). */
  resource: Record<string, string | number | boolean>;
}

type OtlpValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
type OtlpAttributes = { key: string; value: OtlpValue }[] | undefined;

function flatten(attributes: OtlpAttributes): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of attributes ?? []) {
    out[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.doubleValue ?? value.boolValue ?? '';
  }
  return out;
}

const nanosToMs = (nanos: string | number): number => Number(BigInt(nanos) / 1_000_000n);

/**
 * A local OTLP/HTTP receiver on 127.0.0.1 (a random port), standing for an OpenTelemetry Collector: it accepts
 * `POST /v1/traces` with the JSON encoding of `ExportTraceServiceRequest` (the exporter's default over HTTP), answers
 * `{}` as the OTLP specification says, and keeps the spans. Anything else is answered 404 (recorded in `rejected`).
 */
export async function startOtlpReceiver(): Promise<{
  url: string;
  spans: ReceivedSpan[];
  rejected: string[];
  /** Resolves once `predicate` holds over the spans received (checked on each export). */
  waitFor: (predicate: (spans: ReceivedSpan[]) => boolean) => Promise<void>;
  close: () => Promise<void>;
}> {
  const spans: ReceivedSpan[] = [];
  const rejected: string[] = [];
  const waiters: { predicate: (spans: ReceivedSpan[]) => boolean; resolve: () => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !/application\/json/.test(req.headers['content-type'] ?? '')) {
        rejected.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { resource?: { attributes?: OtlpAttributes }; scopeSpans: { spans: Record<string, unknown>[] }[] }[];
      };
      for (const rs of body.resourceSpans ?? []) {
        const resource = flatten(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              traceId: String(s.traceId),
              spanId: String(s.spanId),
              parentSpanId: String(s.parentSpanId ?? ''),
              name: String(s.name),
              kind: Number(s.kind),
              startMs: nanosToMs(s.startTimeUnixNano as string),
              endMs: nanosToMs(s.endTimeUnixNano as string),
              status: (s.status ?? {}) as { code?: number; message?: string },
              attributes: flatten(s.attributes as OtlpAttributes),
              events: ((s.events ?? []) as { name: string; attributes?: OtlpAttributes }[]).map((e) => ({ name: e.name, attributes: flatten(e.attributes) })),
              resource,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      for (const w of [...waiters]) {
        if (w.predicate(spans)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    rejected,
    waitFor: (predicate) => (predicate(spans) ? Promise.resolve() : new Promise((resolve) => waiters.push({ predicate, resolve }))),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
