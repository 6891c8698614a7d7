/** An error the sandbox answers instead of running the action, e.g. to test throttling. */
export interface InjectedFault {
  code: string;
  message?: string;
  status?: number;
}
