// The Docker remote driver's backend: the data dir's dataplane, seen through its Docker face
// (network/docker). server/docker reaches the dataplane only through here.
import { DockerDataplane, openDataplane } from "../network/index.js";

/** The Docker backend over the dataplane of `dataDir` (closed with it). */
export function openDockerDataplane(dataDir: string, firewallTable: string): DockerDataplane {
  return new DockerDataplane(openDataplane(dataDir, { firewallTable }));
}
