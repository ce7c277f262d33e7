/**
 * The first flow the "Get started with Baton" walkthrough writes (`hello.flow`): one agent with a stub (so it
 * runs offline), a flow with an input and an output, and two tests. Pure text, so plain mocha checks that it
 * passes the checker and its tests pass.
 */
export const HELLO_FLOW_FILE = 'hello.flow';

/** The contents of {@link HELLO_FLOW_FILE}. */
export const HELLO_FLOW = `/** Writes a one-line greeting. Runs offline with its stub until you set a model and an API key. */
agent Greeter {
  model: "openai/gpt-4o-mini"
  instructions: "Write a one-line, friendly greeting for the person named in the prompt."
  output: { greeting: string }
  stub: { greeting: "Hello from Baton!" }
}

/** Greets someone: click "Run" above, or run its tests from the Test Explorer. */
flow Hello {
  input name: string = "world"
  output greeting: string

  step greet: Greeter {
    prompt: "Greet \${input.name}."
  }

  set output.greeting = greet.output.greeting
}

test "the greeting comes from the agent" {
  flow: Hello
  expect: status == "succeeded" && output.greeting == "Hello from Baton!"
}

test "a stubbed agent can say anything" {
  flow: Hello
  input: { name: "Ada" }
  stub Greeter: { greeting: "Hi Ada" }
  expect: output.greeting == "Hi Ada"
}
`;
