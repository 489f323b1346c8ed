// Browser mode's fixed names, as plain strings. The contract (src/shared/contract.ts) defines the same three, but loading
// it builds every zod schema, which `shelf serve` should not pay before it can answer npm; the routes only need the
// names. test/unit/http/ui-paths.test.ts keeps both definitions equal.
export const RPC_PATH = '/-/shelf/rpc';
export const EVENTS_PATH = '/-/shelf/events';
export const SESSION_COOKIE = 'shelf_session';
