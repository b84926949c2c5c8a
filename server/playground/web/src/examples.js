// Saved example operations shown in the "Examples" sidebar plugin.
// Each one opens in a new editor tab; the first one is also the default query
// of a fresh (never used) GraphiQL.
//
// Keep `name` equal to the operation name so the tab title matches the list.

export const examples = [
  {
    name: 'ShenzhenPlan',
    description: 'The action plan: declared vs. cataloged measure counts and its sections.',
    query: `# The Shenzhen action plan with its declared and cataloged measure counts
# and its sections.
query ShenzhenPlan {
  plan(slug: "shenzhen-pdz-action-plan") {
    slug
    title
    declaredMeasureCount
    catalogedMeasureCount
    sections {
      number
      title
    }
  }
}
`,
  },
  {
    name: 'ItMeasuresPage',
    description: 'First page (5) of the measures of the information-technology sector, with cursors.',
    query: `# A filtered page of measures (cursor pagination).
# For the next page, pass pageInfo.endCursor as \`after\`.
query ItMeasuresPage {
  measures(filter: { sector: ["information-technology"] }, first: 5) {
    totalCount
    edges {
      cursor
      node {
        code
        title
        section {
          number
          title
        }
        projects {
          name
        }
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
`,
  },
  {
    name: 'SearchQianhai',
    description: 'Full-text search across node kinds; the ids found feed the Neighborhood example.',
    query: `# Full-text search across the graph. Copy a node.id from the result
# into the Neighborhood example.
query SearchQianhai {
  search(text: "Qianhai") {
    score
    snippet
    node {
      id
      __typename
      ... on Project {
        name
        nameZh
      }
      ... on Measure {
        code
        title
      }
    }
  }
}
`,
  },
  {
    name: 'Neighborhood',
    description: 'The graph around one node, two hops deep. Set $id in the Variables pane first.',
    query: `# The graph around one node, two hops deep.
# Put a node id in the Variables pane below: run the SearchQianhai example
# and copy one of its node.id values.
query Neighborhood($id: ID!) {
  neighborhood(id: $id, depth: 2) {
    nodes {
      id
      type
      label
    }
    edges {
      source
      target
      type
    }
    truncated
  }
}
`,
    variables: `{
  "id": "PASTE-A-NODE-ID-FROM-SearchQianhai-HERE"
}
`,
  },
  {
    name: 'StatsBySection',
    description: 'Number of measures, in total and per section.',
    query: `# How many measures there are, in total and per section.
query StatsBySection {
  stats {
    measures
    bySection {
      key
      label
      count
    }
  }
}
`,
  },
  {
    name: 'QianhaiProject',
    description: 'One project by slug and the measures that advance it.',
    query: `# One project and the measures that advance it.
query QianhaiProject {
  project(slug: "qianhai-free-trade-zone") {
    name
    nameZh
    measures {
      totalCount
      nodes {
        code
        title
      }
    }
  }
}
`,
  },
];
