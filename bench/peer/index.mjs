// The benchmark's peer: the Neo4j GraphQL Library (@neo4j/graphql 7) on
// Apollo Server 5, reading the SAME graph as cmd/api (labels, properties and
// relationship types of store/rows.go). It never writes: no type has
// mutations, and every request runs in a READ session.
//
//   NEO4J_URI=bolt://127.0.0.1:7687 PORT=4000 node index.mjs
//
// Environment: NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE (as for
// cmd/api), HOST (default 127.0.0.1), PORT (default 4000), NEO4J_MAX_POOL
// (default 100, as cmd/api). Prints "peer ready: http://HOST:PORT/" once it
// listens. GraphQL is served at "/" (Apollo's standalone server).
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";
import net from "node:net";

// typeDefs map onto the graph model of store/rows.go. Only what the
// workloads need is exposed, plus the obvious fields of each type (the walk
// workload follows every relationship type but SUPPORTED_BY, hence
// Section.inPlan, Milestone.plans and the events: Event and the events
// fields, CONCERNS; the organisations that acted in them, ACTED_IN). Measures hang off their section or
// aspect through PART_OF (to the aspect when the measure is in one), so a
// measure has two nullable PART_OF fields: partOfSection and partOfAspect
// (whose section is reached via HAS_ASPECT).
export const typeDefs = /* GraphQL */ `
  extend schema @mutation(operations: [])

  type Plan @node(labels: ["Plan"]) {
    id: ID!
    slug: String!
    title: String!
    titleZh: String
    declaredMeasureCount: Int
    sections: [Section!]! @relationship(type: "HAS_SECTION", direction: OUT)
    milestones: [Milestone!]! @relationship(type: "HAS_MILESTONE", direction: OUT)
    parent: Plan @relationship(type: "PARENT", direction: OUT)
    children: [Plan!]! @relationship(type: "PARENT", direction: IN)
    events: [Event!]! @relationship(type: "CONCERNS", direction: IN)
  }

  type Section @node(labels: ["Section"]) {
    id: ID!
    plan: String!
    number: Int!
    title: String!
    summary: String
    inPlan: Plan @relationship(type: "HAS_SECTION", direction: IN)
    aspects: [Aspect!]! @relationship(type: "HAS_ASPECT", direction: OUT)
    measures: [Measure!]! @relationship(type: "PART_OF", direction: IN)
  }

  type Aspect @node(labels: ["Aspect"]) {
    id: ID!
    number: Int!
    title: String!
    summary: String
    section: Section @relationship(type: "HAS_ASPECT", direction: IN)
    measures: [Measure!]! @relationship(type: "PART_OF", direction: IN)
  }

  type Measure
    @node(labels: ["Measure"])
    @fulltext(indexes: [{ indexName: "search", queryName: "searchMeasures", fields: ["title", "titleZh", "code", "description"] }]) {
    id: ID!
    plan: String!
    code: String!
    codeKey: String!
    title: String!
    titleZh: String
    description: String
    status: String!
    sectionNumber: Int
    aspectNumber: Int
    milestoneYear: Int
    partOfSection: Section @relationship(type: "PART_OF", direction: OUT)
    partOfAspect: Aspect @relationship(type: "PART_OF", direction: OUT)
    projects: [Project!]! @relationship(type: "ADVANCES", direction: OUT)
    sectors: [Sector!]! @relationship(type: "IN_SECTOR", direction: OUT)
    places: [Place!]! @relationship(type: "LOCATED_IN", direction: OUT)
    milestones: [Milestone!]! @relationship(type: "DUE_BY", direction: OUT)
    events: [Event!]! @relationship(type: "CONCERNS", direction: IN)
  }

  type Project @node(labels: ["Project"]) {
    id: ID!
    slug: String!
    name: String!
    nameZh: String
    kind: String
    description: String
    measures: [Measure!]! @relationship(type: "ADVANCES", direction: IN)
    places: [Place!]! @relationship(type: "LOCATED_IN", direction: OUT)
    sectors: [Sector!]! @relationship(type: "IN_SECTOR", direction: OUT)
    events: [Event!]! @relationship(type: "CONCERNS", direction: IN)
  }

  type Sector @node(labels: ["Sector"]) {
    id: ID!
    slug: String!
    name: String!
    nameZh: String
    measures: [Measure!]! @relationship(type: "IN_SECTOR", direction: IN)
    projects: [Project!]! @relationship(type: "IN_SECTOR", direction: IN)
  }

  type Place @node(labels: ["Place"]) {
    id: ID!
    slug: String!
    name: String!
    nameZh: String
    kind: String
    within: Place @relationship(type: "WITHIN", direction: OUT)
    contains: [Place!]! @relationship(type: "WITHIN", direction: IN)
    projects: [Project!]! @relationship(type: "LOCATED_IN", direction: IN)
    measures: [Measure!]! @relationship(type: "LOCATED_IN", direction: IN)
    events: [Event!]! @relationship(type: "CONCERNS", direction: IN)
  }

  type Milestone @node(labels: ["Milestone"]) {
    id: ID!
    slug: String!
    year: Int!
    label: String!
    approximate: Boolean
    plans: [Plan!]! @relationship(type: "HAS_MILESTONE", direction: IN)
    measures: [Measure!]! @relationship(type: "DUE_BY", direction: IN)
  }

  type Event @node(labels: ["Event"]) {
    id: ID!
    slug: String!
    title: String!
    date: String
    measures: [Measure!]! @relationship(type: "CONCERNS", direction: OUT)
    projects: [Project!]! @relationship(type: "CONCERNS", direction: OUT)
    places: [Place!]! @relationship(type: "CONCERNS", direction: OUT)
    plans: [Plan!]! @relationship(type: "CONCERNS", direction: OUT)
    organizations: [Organization!]! @relationship(type: "ACTED_IN", direction: IN)
  }

  type Organization @node(labels: ["Organization"]) {
    id: ID!
    slug: String!
    name: String!
    events: [Event!]! @relationship(type: "ACTED_IN", direction: OUT)
  }
`;

const env = (k, def) => process.env[k] || def;

// neo4j-driver leaves Nagle's algorithm on for its Bolt sockets: a query
// whose messages take more than one write then waits for the server's
// delayed ACK (about 40 ms on Linux). PEER_NODELAY=1 (the benchmark's
// default) sets TCP_NODELAY on every outgoing socket, as Go's net package and
// cmd/api's driver do by default.
if (process.env.PEER_NODELAY === "1") {
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (...args) {
    this.setNoDelay(true);
    return connect.apply(this, args);
  };
}

async function main() {
  const uri = env("NEO4J_URI", "bolt://127.0.0.1:7687");
  const database = env("NEO4J_DATABASE", "neo4j");
  const driver = neo4j.driver(uri, neo4j.auth.basic(env("NEO4J_USER", "neo4j"), env("NEO4J_PASSWORD", "localdev-password")), {
    maxConnectionPoolSize: Number(env("NEO4J_MAX_POOL", "100")),
    disableLosslessIntegers: true,
  });
  const neoSchema = new Neo4jGraphQL({ typeDefs, driver });
  const schema = await neoSchema.getSchema();
  if (process.argv.includes("--print-schema")) {
    const { printSchema } = await import("graphql");
    console.log(printSchema(schema));
    await driver.close();
    return;
  }
  const server = new ApolloServer({ schema });
  const host = env("HOST", "127.0.0.1");
  const port = Number(env("PORT", "4000"));
  const { url } = await startStandaloneServer(server, {
    listen: { host, port },
    // Every request reads, in a READ session of the configured database.
    context: async () => ({ sessionConfig: { database, defaultAccessMode: neo4j.session.READ } }),
  });
  console.log(`peer ready: ${url}`);
  const stop = async () => {
    await server.stop();
    await driver.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err) => {
  console.error("peer:", err);
  process.exit(1);
});
