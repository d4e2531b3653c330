/**
 * Ping with a few tries: right after an ADD, on a loaded machine, the first echo can be lost while
 * the bridge learns the new port. Connectivity is the claim, not the first packet's timing.
 */
import type { Lab } from "../dataplane/fixture.js";
import type { TestNetns } from "../helpers/netns.js";

export function reaches(lab: Lab, from: TestNetns, to: string, tries = 5): boolean {
  for (let i = 0; i < tries; i++) if (lab.ping(from, to)) return true;
  return false;
}
