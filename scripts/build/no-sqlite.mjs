// Stands for node-sqlite3-wasm in out/cluster.mjs (see esbuild.mjs): the cluster bundle's stores are PostgreSQL's,
// but a runtime module it keeps for a constant imports the SQLite binding, whose code reads its .wasm beside the
// bundle as soon as it is loaded. Opening a SQLite database from this bundle is a bug, said so.
class Database {
  constructor() {
    throw new Error('the SQLite store is not part of the cluster bundle (out/cluster.mjs); open it from the CLI bundle');
  }
}
export default { Database };
