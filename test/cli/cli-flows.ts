/** Flows and helpers that several CLI suites share (the same cases on the SQLite and the PostgreSQL store). */

/** A purchase that waits for the approval `signoff` (48 h timeout), then notifies; `output.decision` is the decision. */
export const APPROVAL_FLOW = `agent Buyer { stub: { total: 1200 } output: { total: number } }
agent Notifier { stub: "sent" }
flow Purchase {
  input item: string = "laptop"
  output decision: string
  step quote: Buyer { prompt: "Quote \${input.item}" }
  approval signoff {
    prompt: "Buy \${input.item} for \${quote.output.total}?"
    assignee: "finance"
    timeout: 48h
  }
  set output.decision = signoff.output.decision
  step tell: Notifier { prompt: "Decision: \${signoff.output.decision}" }
}
`;

/** A payment that waits for the event `payment.received` (7 d timeout); `output.paid` is true once it came. */
export const EVENT_FLOW = `agent Worker { stub: "done" }
flow Payment {
  output paid: boolean
  step invoice: Worker
  wait event "payment.received" timeout 7d
  set output.paid = true
}
`;

/** The run id of a `--json` run's first event (its first line). */
export function runIdOf(stdout: string): string {
  return (JSON.parse(stdout.trim().split('\n')[0]) as { runId: string }).runId;
}
