// The Kubernetes pod identity that kubelet's runtimes (containerd's CRI plugin, CRI-O) pass in
// CNI_ARGS: K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_UID, K8S_POD_INFRA_CONTAINER_ID. The order of
// the pairs changes from call to call (containerd builds them from a Go map), so they are read from
// the parsed args (parseCniArgs), never by comparing strings.

export interface K8sPodArgs {
  namespace: string;
  name: string;
  uid?: string;
  infraContainerId?: string;
}

/**
 * The pod named by parsed CNI_ARGS, or undefined when namespace or name is missing or empty (a
 * runtime that is not kubelet's, or a pod without identity: nothing to record).
 */
export function k8sPodFromArgs(args: Readonly<Record<string, string>>): K8sPodArgs | undefined {
  const namespace = args["K8S_POD_NAMESPACE"];
  const name = args["K8S_POD_NAME"];
  if (!namespace || !name) return undefined;
  const out: K8sPodArgs = { namespace, name };
  const uid = args["K8S_POD_UID"];
  const infra = args["K8S_POD_INFRA_CONTAINER_ID"];
  if (uid) out.uid = uid;
  if (infra) out.infraContainerId = infra;
  return out;
}
