// Offline GraphiQL playground for the kgapi GraphQL server.
// Everything (scripts, styles, fonts) is bundled into ../dist by build.mjs and
// served by playground.go; nothing is fetched from another host.
import React, { useCallback, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { useEditorContext } from '@graphiql/react';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { explorerPlugin } from '@graphiql/plugin-explorer';

import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';
import './playground.css';

import { examples } from './examples.js';

// The GraphQL endpoint lives at /graphql on the same origin as this page,
// whatever host/port/scheme the page was served from.
const { protocol, host } = window.location;
const httpUrl = `${protocol}//${host}/graphql`;
const wsUrl = `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}/graphql`;

const fetcher = createGraphiQLFetcher({
  url: httpUrl,
  subscriptionUrl: wsUrl, // graphql-ws protocol, used for subscription operations only
});

// ?query=...&variables=...&operationName=... prefill the editor (opened in a
// tab of its own if GraphiQL already has saved tabs), so other pages can link
// here with a ready-made operation.
const params = new URLSearchParams(window.location.search);
const urlQuery = params.get('query') ?? undefined;
const urlVariables = params.get('variables') ?? undefined;

function ExamplesIcon() {
  return (
    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.5"
      strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <path d="M4 5.5A1.5 1.5 0 0 1 5.5 4H15l5 5v9.5a1.5 1.5 0 0 1-1.5 1.5h-13A1.5 1.5 0 0 1 4 18.5z" />
      <path d="M15 4v5h5" />
      <path d="M8 13h8M8 16.5h5" />
    </svg>
  );
}

function ExamplesPanel() {
  const editor = useEditorContext({ nonNull: true });

  const open = useCallback(
    (example) => {
      editor.addTab();
      // addTab() fills the new tab's editors while React applies the state
      // update; write the example afterwards so it is not overwritten.
      setTimeout(() => {
        editor.queryEditor?.setValue(example.query);
        editor.variableEditor?.setValue(example.variables ?? '');
      }, 0);
    },
    [editor],
  );

  return (
    <section className="kg-examples" aria-label="Example queries">
      <div className="graphiql-doc-explorer-title">Examples</div>
      <p className="kg-examples-intro">
        Pick an example: it opens in a new tab. Then press the run button (or
        Ctrl/⌘ + Enter).
      </p>
      <ul>
        {examples.map((example) => (
          <li key={example.name}>
            <button
              type="button"
              className="kg-example"
              data-example={example.name}
              onClick={() => open(example)}
            >
              <span className="kg-example-name">{example.name}</span>
              <span className="kg-example-description">{example.description}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

const examplesPlugin = {
  title: 'Examples',
  icon: ExamplesIcon,
  content: ExamplesPanel,
};

// Show the Examples list when the page opens (on screens wide enough for it).
// GraphiQL 4's `visiblePlugin` prop is applied only after the first render,
// when the plugin pane has already been laid out hidden, so it would mark the
// plugin active without showing it. Clicking the sidebar button instead goes
// through GraphiQL's own handler, which also un-hides the pane. It is done in
// a timeout because the plugin provider's own mount effect (which runs after
// this one) resets the visible plugin.
function OpenExamplesOnLoad() {
  useEffect(() => {
    const timer = setTimeout(() => {
      const sidebar = document.querySelector('.graphiql-sidebar');
      const anyPluginShown = sidebar?.querySelector('button[aria-label^="Hide "]');
      if (!sidebar || anyPluginShown || window.innerWidth < 1000) {
        return;
      }
      sidebar.querySelector('button[aria-label="Show Examples"]')?.click();
    }, 0);
    return () => clearTimeout(timer);
  }, []);
  return null;
}

const explorer = explorerPlugin();
const plugins = [examplesPlugin, explorer];

function App() {
  return (
    <GraphiQL
      fetcher={fetcher}
      plugins={plugins}
      defaultQuery={examples[0].query}
      query={urlQuery}
      variables={urlVariables}
      isHeadersEditorEnabled
      defaultEditorToolsVisibility={urlVariables ? 'variables' : undefined}
    >
      <GraphiQL.Logo>
        Shenzhen Plan KG
        <OpenExamplesOnLoad />
      </GraphiQL.Logo>
    </GraphiQL>
  );
}

createRoot(document.getElementById('graphiql')).render(<App />);
