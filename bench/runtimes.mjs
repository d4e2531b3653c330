// Placeholder replaced below.
export async function runtimeFigures() {
  return { skipped: "not written yet" };
}
