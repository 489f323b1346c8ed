// The graph calls' wiring lives in services/graph; this name stays for the handlers that import it.
export { resolveGraph, graphUploadFiles, lockfileGraph, compareLocks, type GraphTarget } from '../services/graph';
