/**
 * The flows of the tests of flows written by agents (docs/agents.md, "Flows written by agents"): `Dispatch` asks
 * `Planner` (stub) to write flow `Custom` — one step `look`, or `look` then `again` — and runs it as step `custom`.
 * `trigger`: a webhook path for `Dispatch`; `firstStep`: a step `first` before the writing one.
 */
export function writtenFlowSource(options: { trigger?: string; firstStep?: boolean; twoSteps?: boolean } = {}): string {
  const written = options.twoSteps
    ? '  step look: Researcher { prompt: "look" }\n  step again: Researcher { prompt: "again" }\n  set output.summary = again.output.facts[0]'
    : '  step look: Researcher { prompt: "look" }\n  set output.summary = look.output.facts[0]';
  return `agent Researcher { output: { facts: string[] }, stub: { facts: ["a fact"] } }
agent Planner {
  output: flow
  stub: """
flow Custom {
  output summary: string
${written}
}
"""
}
flow Dispatch {
${options.trigger ? `  trigger webhook "${options.trigger}"\n` : ''}  output summary: string
${options.firstStep ? '  step first: Researcher { prompt: "first" }\n' : ''}  step plan: Planner { generate { agents: [Researcher], output: { summary: string } } }
  step custom: run plan
  set output.summary = custom.output.summary
}
`;
}
