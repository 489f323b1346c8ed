// The UI routes keep their own copies of the contract's path names (loading the contract builds every zod schema);
// they must stay the same. (Sign-in sessions' bounds: test/unit/auth/ui-sessions.test.ts.)
import { describe, expect, it } from 'vitest';
import { EVENTS_PATH, RPC_PATH, SESSION_COOKIE } from '../../../src/shared/contract';
import * as uiPaths from '../../../src/main/http/ui-paths';

describe('ui-paths', () => {
  it('matches the contract', () => {
    expect({ ...uiPaths }).toEqual({ RPC_PATH, EVENTS_PATH, SESSION_COOKIE });
  });
});
