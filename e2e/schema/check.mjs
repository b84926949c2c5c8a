// Breaking-change check: compares the schema in the working tree
// (schema.graphqls) with the published baseline (e2e/schema/published.graphqls)
// using @graphql-inspector/core, prints every change by criticality, and
// exits 1 when any change is BREAKING (a field, type, argument or enum value
// removed, a type changed, an argument made required, …). Dangerous changes
// (e.g. an enum value added, a default changed) are printed but pass.
//
//   node e2e/schema/check.mjs [schema.graphqls [published.graphqls]]
//
// Offline: reads two files, needs only node_modules (npm ci in e2e/schema).
// Normally run through check.sh.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema } from 'graphql';
import { CriticalityLevel, diff } from '@graphql-inspector/core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const [currentPath = path.join(root, 'schema.graphqls'), baselinePath = path.join(here, 'published.graphqls')] = process.argv.slice(2);
const rel = (p) => {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
};

// A subgraph schema uses Apollo Federation's directives (@link, @key, …)
// without declaring them: the server (gqlgen's federation plugin) and the
// gateway supply their definitions. So a schema that links the federation
// spec is loaded with the definitions (gqlgen's, federation v2) of @link and
// of the directives it imports.
const federation = {
  link: 'directive @link(import: [String!], url: String!) repeatable on SCHEMA',
  key: 'directive @key(fields: FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE\nscalar FieldSet',
  requires: 'directive @requires(fields: FieldSet!) on FIELD_DEFINITION',
  provides: 'directive @provides(fields: FieldSet!) on FIELD_DEFINITION',
  external: 'directive @external on OBJECT | FIELD_DEFINITION',
  shareable: 'directive @shareable repeatable on FIELD_DEFINITION | OBJECT',
  inaccessible:
    'directive @inaccessible on ARGUMENT_DEFINITION | ENUM | ENUM_VALUE | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | INPUT_OBJECT | INTERFACE | OBJECT | SCALAR | UNION',
  tag: 'directive @tag(name: String!) repeatable on ARGUMENT_DEFINITION | ENUM | ENUM_VALUE | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | INPUT_OBJECT | INTERFACE | OBJECT | SCALAR | UNION',
  override: 'directive @override(from: String!, label: String) on FIELD_DEFINITION',
  interfaceObject: 'directive @interfaceObject on OBJECT',
};
function withFederation(sdl) {
  const link = /@link\s*\(\s*url:\s*"https:\/\/specs\.apollo\.dev\/federation\/[^"]*"\s*,\s*import:\s*\[([^\]]*)\]/.exec(sdl);
  if (!link) return sdl;
  const defs = [federation.link];
  for (const [, name] of link[1].matchAll(/"@(\w+)"/g)) {
    if (!federation[name]) throw new Error(`@link imports @${name}, which check.mjs does not know: add its definition`);
    defs.push(federation[name]);
  }
  if (/@(requires|provides)\b/.test(defs.join('\n')) && !defs.includes(federation.key)) defs.push('scalar FieldSet');
  return `${sdl}\n${defs.join('\n')}\n`;
}

function load(file, what) {
  let sdl;
  try {
    sdl = readFileSync(file, 'utf8');
  } catch (e) {
    console.error(`schema check: cannot read the ${what} ${rel(file)}: ${e.message}`);
    process.exit(2);
  }
  try {
    return buildSchema(withFederation(sdl));
  } catch (e) {
    console.error(`schema check: the ${what} ${rel(file)} is not a valid schema: ${e.message}`);
    process.exit(2);
  }
}

const baseline = load(baselinePath, 'published baseline');
const current = load(currentPath, 'schema');
const changes = await diff(baseline, current);

const groups = [
  [CriticalityLevel.Breaking, 'breaking'],
  [CriticalityLevel.Dangerous, 'dangerous'],
  [CriticalityLevel.NonBreaking, 'safe'],
];
console.log(`schema check: ${rel(currentPath)} against the published ${rel(baselinePath)}: ${changes.length} change(s)`);
for (const [level, label] of groups) {
  const of = changes.filter((c) => c.criticality.level === level);
  if (of.length === 0) continue;
  console.log(`\n${label} (${of.length}):`);
  for (const c of of) {
    const where = c.path ? ` [${c.path}]` : '';
    const why = c.criticality.reason ? `\n      ${c.criticality.reason}` : '';
    console.log(`  ${level === CriticalityLevel.Breaking ? '✖' : level === CriticalityLevel.Dangerous ? '!' : '·'} ${c.message}${where}${why}`);
  }
}
const breaking = changes.filter((c) => c.criticality.level === CriticalityLevel.Breaking).length;
if (breaking > 0) {
  console.log(
    `\nschema check: FAILED: ${breaking} breaking change(s) to the published schema. ` +
      'Restore compatibility (deprecate instead of removing; add optional arguments and new fields instead of changing them), ' +
      'or, for a release that deliberately breaks the contract, update e2e/schema/published.graphqls in the same change.',
  );
  process.exit(1);
}
console.log('\nschema check: passed (no breaking changes)');
