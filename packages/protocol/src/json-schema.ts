import type { InputDef, JsonValue, TypeRef } from './ir.js';
import type { JsonSchemaObject } from './tools.js';

/**
 * JSON Schemas made from the language's types: an agent's output (what a model must produce, checked with ajv in the
 * runtime) and a tool's arguments (what a model may pass, tools.ts). One function, so the two never disagree.
 */

/**
 * The JSON Schema of a Baton type: `string`/`number`/`boolean`/`null`, `any` (no constraint: `{}`), a literal
 * (`const`), a union (`anyOf`, or `enum` when all its members are literals), a list (`items`), a record
 * (`properties`, `required` for the fields without `?`, no other fields). Valid in draft-07 and draft 2020-12.
 */
export function jsonSchemaOf(type: TypeRef): JsonSchemaObject {
  switch (type.kind) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'null':
      return { type: type.kind };
    case 'any':
      return {};
    case 'literal':
      return { const: type.value };
    case 'union':
      if (type.types.every((t) => t.kind === 'literal')) return { enum: type.types.map((t) => (t as { value: JsonValue }).value) };
      return { anyOf: type.types.map(jsonSchemaOf) };
    case 'list':
      return { type: 'array', items: jsonSchemaOf(type.element) };
    case 'record': {
      const properties: Record<string, JsonValue> = {};
      for (const field of type.fields) properties[field.name] = jsonSchemaOf(field.type);
      return { type: 'object', properties, required: type.fields.filter((f) => !f.optional).map((f) => f.name), additionalProperties: false };
    }
  }
}

/**
 * The arguments of an agent used as a tool: `{ prompt: string, input?: any }` — the prompt the called agent gets,
 * and an optional value given to it as its input (agents declare no input type, so it is unconstrained).
 */
export function agentToolInputSchema(): JsonSchemaObject {
  return {
    type: 'object',
    properties: { prompt: { type: 'string', description: 'What to ask the agent.' }, input: { description: 'Data the agent works on (optional).' } },
    required: ['prompt'],
    additionalProperties: false,
  };
}

/**
 * The arguments of a flow used as a tool: its inputs as an object (each input's type as {@link jsonSchemaOf} makes
 * it; required unless the input has a default), no other fields.
 */
export function flowToolInputSchema(inputs: readonly Pick<InputDef, 'name' | 'type' | 'default'>[]): JsonSchemaObject {
  const properties: Record<string, JsonValue> = {};
  for (const input of inputs) properties[input.name] = jsonSchemaOf(input.type);
  return { type: 'object', properties, required: inputs.filter((i) => i.default === undefined).map((i) => i.name), additionalProperties: false };
}
