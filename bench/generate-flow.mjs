// Generates a large, valid .flow file: `steps` steps across 10 agents, with templates that read earlier
// steps, an `if` every 50 steps and a `parallel` every 100 — the shape of a real, long process.
// Usage: node bench/generate-flow.mjs <steps> [out.flow]   (prints to stdout without a file)
import { writeFileSync } from 'node:fs';

/** @returns the text of a generated flow with `steps` steps. */
export function generateFlow(steps) {
  const lines = [];
  for (let a = 0; a < 10; a++) {
    lines.push(`/** Agent number ${a}. */`);
    lines.push(`agent Worker${a} {`);
    lines.push(`  model: "openai/gpt-4o-mini"`);
    lines.push(`  output: { text: string, score: number, tags: string[] }`);
    lines.push(`  stub: { text: "w${a}", score: ${a}, tags: ["t${a}"] }`);
    lines.push('}');
  }
  lines.push('', 'flow Generated {', '  input topic: string = "bench"', '  output last: string', '');
  let i = 0;
  while (i < steps) {
    if (i > 0 && i % 100 === 0 && i + 2 <= steps) {
      lines.push('  parallel {');
      lines.push(`    step s${i}: Worker${i % 10} { prompt: "Branch A after \${s${i - 1}.output.text}" }`);
      lines.push(`    step s${i + 1}: Worker${(i + 1) % 10} { prompt: "Branch B after \${s${i - 1}.output.text}" }`);
      lines.push('  }');
      i += 2;
    } else if (i > 0 && i % 50 === 0) {
      lines.push(`  if s${i - 1}.output.score > 3 {`);
      lines.push(`    step s${i}: Worker${i % 10} { prompt: "High: \${input.topic} \${s${i - 1}.output.text}" }`);
      lines.push('  }');
      i += 1;
      // the next step reads the guarded one safely
      if (i < steps) {
        lines.push(`  step s${i}: Worker${i % 10} { prompt: "After: \${s${i - 1}.output.text ?? "none"}" }`);
        i += 1;
      }
    } else {
      const prev = i > 0 ? ` after \${s${i - 1}.output.text}` : '';
      lines.push(`  step s${i}: Worker${i % 10} {`);
      lines.push(`    prompt: "Step ${i} on \${input.topic}${prev}"`);
      lines.push('    timeout: 30s');
      lines.push('  }');
      i += 1;
    }
  }
  lines.push(`  set output.last = s${steps - 1}.output.text ?? "none"`, '}', '');
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const steps = Number(process.argv[2] ?? 1000);
  const text = generateFlow(steps);
  if (process.argv[3]) writeFileSync(process.argv[3], text);
  else process.stdout.write(text);
}
