// graphql-codegen configuration: TypeScript types for src/operations.graphql,
// generated from the schema the RUNNING server serves (introspection of
// ${API_URL}/graphql), so an API change that breaks these operations fails
// here (validation) or in `tsc` (types), before any test runs.
//
//   API_URL=http://127.0.0.1:8080 npx graphql-codegen --config codegen.ts
import type { CodegenConfig } from '@graphql-codegen/cli';

const api = process.env.API_URL;
if (!api) {
  throw new Error(
    'API_URL is not set: codegen introspects the running API, e.g. API_URL=http://127.0.0.1:8080 ' +
      '(e2e/run.sh starts the API and sets it for you)',
  );
}
const endpoint = new URL('graphql', api.endsWith('/') ? api : `${api}/`).href;

// The API is an Apollo Federation subgraph: its schema also holds the
// federation scalars (_Any for _entities' representations, FieldSet and
// the policy and scope names of the federation directives). strictScalars
// wants a type for each.
const scalars = {
  Date: 'string',
  _Any: 'Record<string, unknown>',
  FieldSet: 'string',
  federation__Policy: 'string',
  federation__Scope: 'string',
};

const config: CodegenConfig = {
  overwrite: true,
  silent: false,
  schema: endpoint,
  documents: ['src/operations.graphql'],
  generates: {
    // Types of the whole schema (typescript plugin).
    'src/__generated__/schema.ts': {
      plugins: ['typescript'],
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        strictScalars: true,
        scalars,
      },
    },
    // Types of every operation and fragment of src/operations.graphql
    // (typescript-operations, standalone since v6: it declares the enums and
    // inputs it uses), and each operation as a TypedDocumentNode, from which
    // Apollo Client and urql infer result and variable types.
    'src/__generated__/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        useTypeImports: true,
        strictScalars: true,
        scalars,
        nonOptionalTypename: true,
      },
    },
    // possibleTypes (Node → Plan, Measure, …) for Apollo's InMemoryCache.
    'src/__generated__/possible-types.ts': {
      plugins: ['fragment-matcher'],
      config: { useExplicitTyping: true },
    },
    // The client preset with persisted documents (trusted.test.ts): each
    // operation's TypedDocumentNode carries __meta__.hash ("sha256:<hex>"),
    // and persisted-documents.json maps those ids to the documents' texts:
    // the manifest e2e/run.sh gives a second API run with
    // TRUSTED_DOCUMENTS=only (TRUSTED_DOCUMENTS_MANIFEST).
    'src/__generated__/persisted/': {
      preset: 'client',
      presetConfig: { persistedDocuments: true, fragmentMasking: false },
      // emitLegacyCommonJSImports false: './graphql.js', the ESM imports tsc's NodeNext resolution needs.
      config: { useTypeImports: true, strictScalars: true, scalars, emitLegacyCommonJSImports: false },
    },
    // The schema, minified, for urql's graphcache (interfaces, fragment matching).
    'src/__generated__/introspection.ts': {
      plugins: ['urql-introspection'],
      config: { module: 'es2015', useTypeImports: true, includeScalars: false, includeEnums: false, includeInputs: false, includeDirectives: false },
    },
  },
};

export default config;
