/** Running the features' front-door hooks in order (features/feature.ts). */
import type { ServerResponse } from 'node:http';
import { HANDLED, type FrontDoorHook, type FrontDoorRequest } from '../features/feature.js';

/**
 * Runs each hook in turn until one answers the request (HANDLED) or throws; a hook that returns
 * nothing asynchronous costs no promise here.
 */
export async function runHooks(hooks: readonly FrontDoorHook[], req: FrontDoorRequest, res: ServerResponse): Promise<typeof HANDLED | undefined> {
  for (const hook of hooks) {
    let outcome = hook(req, res);
    if (outcome instanceof Promise) outcome = await outcome;
    if (outcome === HANDLED || res.writableEnded) return HANDLED;
  }
  return undefined;
}
