import type { LangiumDocuments, ValidationAcceptor } from 'langium';
import { AstUtils } from 'langium';
import { describeType, type TypeRef } from '@baton/protocol';
import type { BatonServices } from './baton-module.js';
import { IssueCodes } from './baton-issue-codes.js';
import { visibleDocuments } from './baton-imports.js';
import { EVENT_NAME_PATTERN, eventDataType, findEventDecl } from './baton-event-types.js';
import { BatonTypeSystem, broadKind, fieldNames, literalValues, memberType } from './baton-type-system.js';
import { parseDuration } from './baton-value-converter.js';
import * as ast from './generated/ast.js';

/** `buffer: D` bounds: 1 second to 365 days. */
const BUFFER_MIN_MS = 1000;
const BUFFER_MAX_MS = 365 * 24 * 3600 * 1000;
/** `buffer: D max N` bounds. */
const BUFFER_MAX_COUNT = 10_000;

/**
 * Checks of typed events (docs/language.md, "Events"): `event "…" { … }` declarations (name, duplicates,
 * `buffer:` bounds) and `wait event` statements (correlation path and type, `on timeout` without `timeout`).
 * Reads of `x.data.field` are checked by the flow checks through the type system (`unknown-field`).
 */
export class BatonEventChecks {
  private readonly documents: LangiumDocuments;

  constructor(services: BatonServices) {
    this.documents = services.shared.workspace.LangiumDocuments;
  }

  /** `invalid-event-name`, `duplicate-name` (a second declaration of the same event visible together), `out-of-range` on `buffer:`. */
  checkEventDecl = (decl: ast.EventDecl, accept: ValidationAcceptor): void => {
    if (decl.name === undefined) return;
    if (!EVENT_NAME_PATTERN.test(decl.name)) {
      accept('error', `invalid event name "${decl.name}": use 1 to 200 letters, digits and _ . : - (it appears in URLs and commands)`, { node: decl, property: 'name', code: IssueCodes.InvalidEventName });
    }
    const document = AstUtils.getDocument(decl);
    const root = decl.$container;
    const earlier = root.elements.slice(0, root.elements.indexOf(decl)).some((el) => ast.isEventDecl(el) && el.name === decl.name);
    if (earlier) {
      accept('error', `duplicate event "${decl.name}": it is already declared in this file`, { node: decl, property: 'name', code: IssueCodes.DuplicateName });
    } else {
      const other = visibleDocuments(document, this.documents).find(
        (d) => d !== document && (d.parseResult.value as ast.Document).elements.some((el) => ast.isEventDecl(el) && el.name === decl.name),
      );
      if (other) accept('error', `duplicate event "${decl.name}": it is already declared in ${other.uri.path.split('/').pop()}`, { node: decl, property: 'name', code: IssueCodes.DuplicateName });
    }
    const seen = new Set<string>();
    for (const p of decl.properties) {
      if (seen.has(p.key)) accept('error', `\`${p.key}\` is given twice in this block`, { node: p, property: 'key', code: IssueCodes.DuplicateProperty });
      seen.add(p.key);
      if (ast.isEventBufferProperty(p) && !p.none) {
        const ms = typeof p.duration?.value === 'string' ? parseDuration(p.duration.value) : undefined;
        if (ms !== undefined && (ms < BUFFER_MIN_MS || ms > BUFFER_MAX_MS)) {
          accept('error', `\`buffer: ${p.duration!.value}\` is out of range: an event is kept from 1s to 365d`, { node: p.duration!, code: IssueCodes.OutOfRange });
        }
        const max = p.max?.value;
        if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > BUFFER_MAX_COUNT)) {
          accept('error', `\`max ${max}\` is out of range: a buffer keeps 1 to ${BUFFER_MAX_COUNT} events per run`, { node: p.max!, code: IssueCodes.OutOfRange });
        }
      }
    }
  };

  /**
   * A `wait event`: `invalid-event-name`; `timeout-branch-without-timeout`; the `where` path must be a field of
   * the declared data (`unknown-field`) and its value able to equal it (`type-mismatch`).
   */
  checkWaitEvent = (wait: ast.WaitStatement, accept: ValidationAcceptor): void => {
    if (!wait.isEvent) return;
    if (wait.event !== undefined && !EVENT_NAME_PATTERN.test(wait.event)) {
      accept('error', `invalid event name "${wait.event}": use 1 to 200 letters, digits and _ . : -`, { node: wait, property: 'event', code: IssueCodes.InvalidEventName });
    }
    if (wait.timeoutBranch && !wait.timeout) {
      accept('error', '`on timeout { … }` never runs: this wait has no `timeout`; write `timeout 3d` before it', { node: wait.timeoutBranch, code: IssueCodes.TimeoutBranchWithoutTimeout });
    }
    if (wait.correlation) this.checkCorrelation(wait.correlation, wait.event, accept);
  };

  /**
   * `foreach x in event "…"` (docs/language.md, "foreach … in event"): `invalid-event-name`; the `where`
   * correlation as on a `wait event`; `event-loop-unbounded` when nothing ends its arrivals (no `timeout`, no
   * `until` or `first N`); `event-loop-needs-buffer` when the event says `buffer: none`; `out-of-range` on
   * `first 0` (the loop has no instance yet when it opens, so `first 0 keep` would end it at once).
   */
  checkEventLoop = (loop: ast.ForeachStatement, accept: ValidationAcceptor): void => {
    const source = loop.source;
    if (!source || source.event === undefined) return;
    if (!EVENT_NAME_PATTERN.test(source.event)) {
      accept('error', `invalid event name "${source.event}": use 1 to 200 letters, digits and _ . : -`, { node: source, property: 'event', code: IssueCodes.InvalidEventName });
    }
    if (!source.timeout && !loop.join && !source.end) {
      accept('error', `this loop never ends: nothing closes its arrivals of event "${source.event}"; add \`until event "…"\` or \`timeout 1d\` after the event, or \`until <condition>\` (or \`first N\`) before \`{\``, { node: source, property: 'event', code: IssueCodes.EventLoopUnbounded });
    }
    for (const at of source.end?.event !== undefined ? [source, source.end] : [source]) {
      const decl = findEventDecl(at, at.event, this.documents);
      if (decl?.properties.find(ast.isEventBufferProperty)?.none) {
        accept('error', `event "${at.event}" says \`buffer: none\`, but this loop takes the events sent while its instances run; remove \`buffer: none\` (or give \`buffer: D max N\`)`, { node: at, property: 'event', code: IssueCodes.EventLoopNeedsBuffer });
      }
    }
    const end = source.end;
    if (end?.event !== undefined) {
      if (!EVENT_NAME_PATTERN.test(end.event)) {
        accept('error', `invalid event name "${end.event}": use 1 to 200 letters, digits and _ . : -`, { node: end, property: 'event', code: IssueCodes.InvalidEventName });
      }
      if (end.event === source.event) {
        accept('error', `the terminating event is the loop's own event "${end.event}": each one would both start an instance and end the arrivals; end them with another event (\`until event "order.closed"\`), the data (\`until line.data.last\` before \`{\`) or a \`timeout\``, { node: end, property: 'event', code: IssueCodes.EventLoopSameEnd });
      }
      if (end.correlation) this.checkCorrelation(end.correlation, end.event, accept);
    }
    if (loop.join?.isFirst && loop.join.count?.value === 0) {
      accept('error', 'first needs a whole number from 1 on an event loop: it has no instance yet when it opens', { node: loop.join.count, code: IssueCodes.OutOfRange });
    }
    if (source.correlation) this.checkCorrelation(source.correlation, source.event, accept);
  };

  /** A `where` correlation of event `event`: its path must be a field of the declared data (`unknown-field`), its value able to equal it (`type-mismatch`). */
  private checkCorrelation(where: ast.Correlation, event: string | undefined, accept: ValidationAcceptor): void {
    const decl = findEventDecl(where, event, this.documents);
    let type: TypeRef = eventDataType(decl);
    for (let i = 0; i < where.path.length; i++) {
      const next = memberType(type, where.path[i]);
      if (next === undefined) {
        const fields = fieldNames(type);
        const at = i === 0 ? `event "${event}"'s data` : `\`${where.path.slice(0, i).join('.')}\``;
        accept('error', `${at} has no field \`${where.path[i]}\`${fields ? `; it has ${fields.join(', ') || 'no fields'}` : ''}`, { node: where, property: 'path', index: i, code: IssueCodes.UnknownField });
        return;
      }
      type = next;
    }
    const value = new BatonTypeSystem(this.documents).typeOf(where.value);
    const fk = broadKind(type);
    const vk = broadKind(value);
    const fv = literalValues(type);
    const vv = literalValues(value);
    if ((fk && vk && fk !== vk) || (fv && vv && !vv.some((v) => fv.includes(v)))) {
      accept('error', `\`${where.path.join('.')}\` is ${describeType(type)}, but this is ${describeType(value)}: the event never matches`, { node: where.value, code: IssueCodes.TypeMismatch });
    }
  }

  /** An approval's `on timeout { … }` without a `timeout:` never runs (`timeout-branch-without-timeout`). */
  checkApprovalTimeoutBranch = (approval: ast.ApprovalStatement, accept: ValidationAcceptor): void => {
    if (approval.timeoutBranch && !approval.properties.some(ast.isTimeoutProperty)) {
      accept('error', '`on timeout { … }` never runs: this approval has no `timeout:`; add `timeout: 2d`', { node: approval.timeoutBranch, code: IssueCodes.TimeoutBranchWithoutTimeout });
    }
  };
}
