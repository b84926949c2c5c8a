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
// assumeValidSDL: the schema uses Apollo Federation's @link and @key without
// declaring them (the server adds their definitions); the SDL itself is
// checked by gqlgen and server/schema_test.go, the examples here.
const schema = buildSchema(readFileSync(schemaPath, 'utf8'), { assumeValidSDL: true });

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
