// Writes the job contract's JSON Schema (generated in the client package) to docs/email-job.schema.json.
// `npm run schema` runs it; a test keeps that file in step with the code.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emailJobJsonSchema } from '@omikai/graph-mailer-client';

export const JSON_SCHEMA_PATH = join(__dirname, '../../docs/email-job.schema.json');

export function renderEmailJobJsonSchema(): string {
  return `${JSON.stringify(emailJobJsonSchema(), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(JSON_SCHEMA_PATH, renderEmailJobJsonSchema());
  console.log(`wrote ${JSON_SCHEMA_PATH}`);
}
