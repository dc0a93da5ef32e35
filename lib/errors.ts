// One error type for expected failures, with a code the UI maps to what it says.
// Anything that is not an AppError is unexpected: logged with a reference id, and the user
// sees "Something went wrong (ref …)". Never parse codes back out of messages.

export const errorCodes = {
  UNAUTHENTICATED: "Please sign in again.",
  FORBIDDEN: "Your role does not allow this.",
  NOT_FOUND: "Not found.",
  INVALID_INPUT: "Some fields need attention.",
  CONFLICT: "This was changed by someone else; reload and try again.",
  LIMIT_EXCEEDED: "This is above your limit.",
  SELF_APPROVAL: "You cannot decide on your own request.",
  PROVIDER_UNAVAILABLE: "The billing provider is not answering; the change will be retried.",
  PROVIDER_REJECTED: "The billing provider refused the change.",
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Field-level messages, keyed by form field name. */
  readonly fieldErrors?: Record<string, string>;

  constructor(code: ErrorCode, message?: string, fieldErrors?: Record<string, string>) {
    super(message ?? errorCodes[code]);
    this.name = "AppError";
    this.code = code;
    this.fieldErrors = fieldErrors;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

export const httpStatusFor: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INVALID_INPUT: 400,
  CONFLICT: 409,
  LIMIT_EXCEEDED: 403,
  SELF_APPROVAL: 403,
  PROVIDER_UNAVAILABLE: 503,
  PROVIDER_REJECTED: 502,
};

export function newErrorRef(): string {
  return crypto.randomUUID().slice(0, 8);
}
