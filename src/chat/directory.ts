/**
 * A chat platform's list of people, for what must happen before someone talks to the bot: an
 * admin granting roles to a team that has not arrived yet. Each surface implements it (Slack:
 * users.info; the console: its seeded users) and exposes it on its ChatSurface; the users
 * capability asks it only for someone it does not know.
 */
export interface DirectoryUser {
  /** The platform's user id (the same one an Actor of this person will carry). */
  userId: string;
  displayName: string;
  /**
   * Their email when the platform tells it (Slack's profile with the `users:read.email` scope; the
   * console's people): how their PagerDuty user is found.
   */
  email?: string;
}

export interface UserDirectory {
  /**
   * The person `ref` names in the workspace: a user id (a mention arrives as one) or whatever else
   * the platform can look up cheaply. null: `ref` is nothing this directory can look up (say, a
   * display name on a platform where finding one means listing everyone). Throws an AppError with a
   * message for the admin when the platform says there is no such user, or cannot be asked now.
   */
  lookup(workspaceId: string, ref: string): Promise<DirectoryUser | null>;
  /** How to name someone so that `lookup` finds them, for the answer when it could not. */
  readonly hint: string;
}
