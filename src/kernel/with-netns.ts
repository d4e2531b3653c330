// Scoped access to a netns: an Rtnl opened inside it, always closed afterwards.
import { Rtnl } from "./rtnl.js";

/**
 * Runs fn with an rtnetlink socket that lives in the netns at path (no thread stays switched),
 * and closes the socket when fn returns or throws.
 * @throws NetnsNotFoundError, NotANetnsError before fn runs
 */
export function withNetns<T>(path: string, fn: (rtnl: Rtnl) => T): T {
  const rtnl = Rtnl.open(path);
  try {
    return fn(rtnl);
  } finally {
    rtnl.close();
  }
}
