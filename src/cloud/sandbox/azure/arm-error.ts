/** An ARM error reply: HTTP status, ARM's error code and message (`{ error: { code, message } }`). */
export class ArmError extends Error {
  readonly status: number;
  readonly armCode: string;
  constructor(status: number, armCode: string, message: string) {
    super(message);
    this.status = status;
    this.armCode = armCode;
  }
}
