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

function load(file, what) {
  let sdl;
  try {
    sdl = readFileSync(file, 'utf8');
  } catch (e) {
    console.error(`schema check: cannot read the ${what} ${rel(file)}: ${e.message}`);
    process.exit(2);
  }
  try {
    return buildSchema(sdl);
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
