/** @returns the text of a generated flow with `steps` steps (see generate-flow.mjs). */
export declare function generateFlow(steps: number): string;
