// The Node.js lines delivr supports (package.json `engines`). Older ones do not merely warn: the
// SQLite driver (better-sqlite3 13, Node-API 10) crashes the process with a segmentation fault on
// Node 20, so the entry points stop first with one clear line instead.
export const MIN_NODE_MAJOR = 22;

/** Why this Node cannot run delivr, or null when it can. */
export function unsupportedNode(version: string = process.versions.node): string | null {
  const major = Number(version.split('.')[0]);
  if (major >= MIN_NODE_MAJOR) return null;
  return `delivr needs Node.js ${MIN_NODE_MAJOR} or later (22 and 24 are supported), this is ${version}; on this machine, scripts/with-node.sh ${MIN_NODE_MAJOR} <command> runs a command with Node ${MIN_NODE_MAJOR} from the npm registry`;
}
