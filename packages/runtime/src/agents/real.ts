import { forEachStatement, type AgentDef, type WorkflowDefinition } from '@baton/protocol';
import type { BatonConfig, CommandConfig, EndpointConfig } from '../config/baton-config.js';
import { BatonError } from '../errors.js';
import type { AgentCaller, AgentRequest, AgentResponse, AgentTurnRequest, AgentTurnResponse } from './agent.js';
import { callCommandAgent } from './command-agent.js';
import { callHttpAgent } from './http-agent.js';
import { callModel, type ModelTarget } from './model-agent.js';
import { turnModel } from './model-turn.js';
import { createStubAgents } from './stub.js';

/** A provider Baton knows without configuration. */
interface BuiltinProvider {
  type: ModelTarget['type'];
  baseUrl: string;
  baseUrlEnv: string;
  apiKeyEnv: string;
  keyRequired: boolean;
}

/**
 * The built-in providers. Base URLs: the environment variable (the editor sets it from its settings) wins
 * over `baton.config.json`, which wins over the default. `ollama` is any OpenAI-compatible server.
 */
export const BUILTIN_PROVIDERS: Readonly<Record<string, BuiltinProvider>> = {
  openai: { type: 'openai', baseUrl: 'https://api.openai.com/v1', baseUrlEnv: 'OPENAI_BASE_URL', apiKeyEnv: 'OPENAI_API_KEY', keyRequired: true },
  anthropic: { type: 'anthropic', baseUrl: 'https://api.anthropic.com', baseUrlEnv: 'ANTHROPIC_BASE_URL', apiKeyEnv: 'ANTHROPIC_API_KEY', keyRequired: true },
  ollama: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1', baseUrlEnv: 'OPENAI_COMPATIBLE_BASE_URL', apiKeyEnv: 'OPENAI_COMPATIBLE_API_KEY', keyRequired: false },
};

/** How one agent is reached in real mode. */
export type AgentRoute =
  | { kind: 'stub' }
  | { kind: 'model'; target: ModelTarget }
  | { kind: 'http'; name: string; endpoint: EndpointConfig }
  | { kind: 'command'; name: string; command: CommandConfig };

/** Options of {@link createRealAgents}. */
export interface RealAgentsOptions {
  config: BatonConfig;
  /** Where API keys and base URLs are read (default `process.env`). Keys never leave this object except in the request's headers. */
  env?: NodeJS.ProcessEnv;
}

/** Real agents, plus the check a run makes before it starts. */
export interface RealAgents extends AgentCaller {
  turn(request: AgentTurnRequest): Promise<AgentTurnResponse>;
  /**
   * Resolves every agent `flow` can call (its steps, compensations and sub-flows): the run does not start
   * when one cannot be reached.
   * @throws BatonError `AGENT_UNKNOWN_PROVIDER`, `AGENT_NO_API_KEY`, `CONFIG_MISSING` — the first problem, naming
   *   the agent, its model and what to do (which variable to set, which entry to add).
   */
  preflight(definition: WorkflowDefinition, flow: string): void;
}

/**
 * `--agents real`: each agent is called through the provider its `model: "provider/model"` names
 * (`baton.config.json`'s `agents.<Name>.model` overrides it): `openai/…` and `anthropic/…` with their official
 * SDKs, `ollama/…` and other OpenAI-compatible servers through the `openai` SDK at their base URL,
 * `http/<endpoint>` and `command/<name>` as configured. An agent without a model answers from its `stub`.
 * Outputs are checked against the agent's `output` type (see model-agent.ts for the repair attempt).
 * `turn` (an agent with `tools:`): model providers call tools (model-turn.ts), an agent without a model answers
 * from its stub's `turns(…)`; `http/` and `command/` agents have no tool loop (`AGENT_NO_TOOL_LOOP`; the checker
 * refuses tools on them).
 * @throws (from `call`, `turn`) BatonError with the codes of {@link resolveAgentRoute} and of each kind of agent.
 */
export function createRealAgents(options: RealAgentsOptions): RealAgents {
  const env = options.env ?? process.env;
  const stub = createStubAgents();
  const routes = new Map<string, AgentRoute>();
  const routeOf = (agent: AgentDef): AgentRoute => {
    let route = routes.get(agent.name);
    if (!route) {
      route = resolveAgentRoute(agent, options.config, env);
      routes.set(agent.name, route);
    }
    return route;
  };
  const effective = <R extends AgentRequest>(request: R): R => {
    const override = options.config.agents[request.agent.name];
    const agent: AgentDef = override ? { ...request.agent, temperature: override.temperature ?? request.agent.temperature, maxTokens: override.maxTokens ?? request.agent.maxTokens } : request.agent;
    return { ...request, agent };
  };
  /** The response with its cost (from the config's `prices`) and the model that answered. */
  const priced = <R extends { usage?: { input: number; output: number }; costUsd?: number; model?: { provider: string; name: string } }>(target: ModelTarget, response: R): R => {
    const price = options.config.prices[`${target.provider}/${target.model}`];
    if (price && response.usage) response.costUsd = (response.usage.input * price.input + response.usage.output * price.output) / 1_000_000;
    response.model = { provider: target.provider, name: target.model };
    return response;
  };
  return {
    async turn(request: AgentTurnRequest): Promise<AgentTurnResponse> {
      const route = routeOf(request.agent);
      switch (route.kind) {
        case 'stub':
          return stub.turn(effective(request));
        case 'model':
          return priced(route.target, await turnModel(route.target, effective(request)));
        default:
          throw new BatonError('AGENT_NO_TOOL_LOOP', `agent ${request.agent.name} (${route.kind}/${route.name}) cannot call tools: only model agents (openai, anthropic, OpenAI-compatible) run a tool loop`);
      }
    },
    async call(plain: AgentRequest): Promise<AgentResponse> {
      const route = routeOf(plain.agent);
      const request = effective(plain);
      switch (route.kind) {
        case 'stub':
          return stub.call(request);
        case 'model':
          return priced(route.target, await callModel(route.target, request));
        case 'http':
          return callHttpAgent(route.name, route.endpoint, request, env);
        case 'command':
          return callCommandAgent(route.name, route.command, request);
      }
    },
    preflight(definition: WorkflowDefinition, flow: string): void {
      for (const name of agentsCalledBy(definition, flow)) {
        const agent = definition.agents[name];
        if (agent) routeOf(agent);
      }
    },
  };
}

/**
 * How `agent` is reached: its model (or the config's override) split at the first `/` into provider and
 * model name.
 * @throws BatonError `AGENT_UNKNOWN_PROVIDER` (not openai, anthropic, ollama, http or command — possible through
 *   the config's `agents.<Name>.model`; the checker refuses it in a .flow file), `CONFIG_MISSING` (an `http/` or
 *   `command/` name not in the config, an endpoint's `headersFromEnv` variable not set, a model name missing with
 *   no `defaultModel`), `AGENT_NO_API_KEY` (the
 *   key's environment variable is empty).
 */
export function resolveAgentRoute(agent: AgentDef, config: BatonConfig, env: NodeJS.ProcessEnv): AgentRoute {
  const model = config.agents[agent.name]?.model ?? agent.model;
  if (!model) return { kind: 'stub' };
  const slash = model.indexOf('/');
  const provider = slash < 0 ? model : model.slice(0, slash);
  const name = slash < 0 ? '' : model.slice(slash + 1);
  const where = config.file ?? 'baton.config.json';
  const who = `agent ${agent.name} (${model})`;
  if (provider === 'http') {
    const endpoint = config.endpoints[name];
    if (!endpoint) throw new BatonError('CONFIG_MISSING', `${who}: no endpoint "${name}" — add endpoints.${name || '<name>'} with its url to ${where}`);
    for (const [header, variable] of Object.entries(endpoint.headersFromEnv ?? {})) {
      if (!env[variable]) throw new BatonError('CONFIG_MISSING', `${who} sends the header ${header} from the environment variable ${variable}: set it`);
    }
    return { kind: 'http', name, endpoint };
  }
  if (provider === 'command') {
    const command = config.commands[name];
    if (!command) throw new BatonError('CONFIG_MISSING', `${who}: no command "${name}" — add commands.${name || '<name>'} with its command line to ${where}`);
    return { kind: 'command', name, command };
  }
  const builtin = Object.hasOwn(BUILTIN_PROVIDERS, provider) ? BUILTIN_PROVIDERS[provider] : undefined;
  if (!builtin) {
    throw new BatonError('AGENT_UNKNOWN_PROVIDER', `${who}: unknown provider "${provider}" — use openai, anthropic, ollama (any OpenAI-compatible server: set providers.ollama.baseUrl in ${where}), http or command`);
  }
  const configured = config.providers[provider as keyof BatonConfig['providers']];
  const type = builtin.type;
  const baseUrl = env[builtin.baseUrlEnv]?.trim() || configured?.baseUrl || builtin.baseUrl;
  const modelName = name || configured?.defaultModel;
  if (!modelName) throw new BatonError('CONFIG_MISSING', `${who}: no model name — write "${provider}/<model>" or set providers.${provider}.defaultModel in ${where}`);
  const keyEnv = configured?.apiKeyEnv ?? builtin.apiKeyEnv;
  const apiKey = env[keyEnv]?.trim() || undefined;
  const keyRequired = configured?.apiKeyEnv !== undefined || builtin.keyRequired;
  if (keyRequired && !apiKey) {
    throw new BatonError('AGENT_NO_API_KEY', `${who} needs an API key: set the environment variable ${keyEnv}${keyEnv === 'OPENAI_API_KEY' || keyEnv === 'ANTHROPIC_API_KEY' ? ' (in VS Code: "Baton: Set API Key")' : ''}`);
  }
  return { kind: 'model', target: { type, provider, model: modelName, baseUrl, apiKey, structuredOutput: configured?.structuredOutput ?? 'json_schema' } };
}

/**
 * The names of the agents `flow` can call: its steps' agents, compensations, the agents and flows their `tools:`
 * name, and those of the flows it calls.
 */
export function agentsCalledBy(definition: WorkflowDefinition, flow: string): Set<string> {
  const agents = new Set<string>();
  const seen = new Set<string>();
  const visitAgent = (name: string): void => {
    if (agents.has(name)) return;
    agents.add(name);
    for (const tool of definition.agents[name]?.tools ?? []) {
      if (tool.target.kind === 'agent') visitAgent(tool.target.name);
      else if (tool.target.kind === 'flow') visitFlow(tool.target.name);
    }
  };
  const visitFlow = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    forEachStatement(definition.flows[name]?.body ?? [], (s) => {
      if (s.kind !== 'step') return;
      if (s.target.kind === 'agent') visitAgent(s.target.name);
      else visitFlow(s.target.name);
      if (s.compensate) visitAgent(s.compensate.agent);
    });
  };
  visitFlow(flow);
  return agents;
}
