/** The container already has an interface of the requested name: ADD must fail, never reuse it. */
export class InterfaceExistsError extends Error {
  constructor(
    readonly ifname: string,
    readonly netnsPath: string,
  ) {
    super(`interface "${ifname}" already exists in netns ${netnsPath}`);
    this.name = "InterfaceExistsError";
  }
}
