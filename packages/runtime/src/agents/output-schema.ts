import { Ajv, type ValidateFunction } from 'ajv';
import { jsonSchemaOf, type AgentDef, type JsonValue, type TypeRef } from '@baton/protocol';
import { describeSchemaErrors } from '../config/baton-config.js';

/** A JSON Schema (draft-07) object. */
export type JsonSchema = { [key: string]: JsonValue | JsonSchema | JsonSchema[] };

/** The JSON Schema of a Baton type (moved to @baton/protocol, where tools' argument schemas are made too). */
export { jsonSchemaOf };

/**
 * What a model is asked to produce for an agent: its `output` type as a JSON Schema whose root is an object
 * (providers' structured-output modes need one), with `wrapped` telling whether a non-record output type was
 * put under a `value` field (`{ "value": … }`), to be unwrapped by {@link unwrapOutput}.
 */
export function modelOutputSchema(output: TypeRef): { schema: JsonSchema; wrapped: boolean } {
  if (output.kind === 'record') return { schema: jsonSchemaOf(output), wrapped: false };
  return { schema: { type: 'object', properties: { value: jsonSchemaOf(output) }, required: ['value'], additionalProperties: false }, wrapped: true };
}

/** The agent's output from what the model produced under {@link modelOutputSchema}. */
export function unwrapOutput(value: JsonValue, wrapped: boolean): JsonValue {
  if (!wrapped) return value;
  return value !== null && typeof value === 'object' && !Array.isArray(value) && 'value' in value ? (value.value ?? null) : value;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new Map<string, ValidateFunction>();

/**
 * Checks `value` against the agent's `output` type (ajv, compiled once per type).
 * @returns undefined when it matches (or the agent has no output type), else one message naming the
 *   fields, e.g. `summary must be string; score is required`.
 */
export function checkOutput(agent: AgentDef, value: JsonValue): string | undefined {
  if (!agent.output) return undefined;
  const key = JSON.stringify(agent.output);
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(jsonSchemaOf(agent.output));
    validators.set(key, validate);
  }
  if (validate(value)) return undefined;
  return describeSchemaErrors(validate.errors ?? []).replace(/^the file /, 'the output ');
}
