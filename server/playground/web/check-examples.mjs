// Validates the example operations in src/examples.js against the server's
// GraphQL schema (default: schema.graphqls at the repository root).
// Run: npm run check-examples [-- path/to/schema.graphqls]
import { buildSchema, parse, validate } from 'graphql';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { examples } from './src/examples.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const schemaPath = process.argv[2] ?? path.resolve(here, '..', '..', '..', 'schema.graphqls');
const schema = buildSchema(readFileSync(schemaPath, 'utf8'));

let failed = 0;
for (const example of examples) {
  const errors = validate(schema, parse(example.query));
  if (errors.length) {
    failed++;
    console.log(`FAIL ${example.name}`);
    for (const e of errors) console.log(`  ${e.message}`);
  } else {
    console.log(`ok   ${example.name}`);
  }
}
console.log(`${examples.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
