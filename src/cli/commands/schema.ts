import { writeFile } from "node:fs/promises";
import type { Command } from "commander";

export function registerSchema(program: Command): void {
  program
    .command("schema")
    .description("write the lab file's JSON Schema (draft-07) for editors")
    .option("-o, --output <file>", "write to a file instead of stdout")
    .addHelpText(
      "after",
      `
Editors with the YAML language server use it through the first line of a lab file:
  # yaml-language-server: $schema=../schema/lab.schema.json`,
    )
    .action(async (opts: { output?: string }) => {
      const { labJsonSchema } = await import("../../labfile/schema.js");
      const text = JSON.stringify(labJsonSchema(), null, 2) + "\n";
      if (opts.output) await writeFile(opts.output, text);
      else process.stdout.write(text);
    });
}
