/** @module The admin CLI's one error type: every failure becomes a message on stderr and an exit code. */

/** 2: the command line was wrong; 1: anything else went wrong. */
export type ExitCode = 1 | 2;

export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode = 1) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/** Bad usage: unknown command or option, missing or malformed argument. */
export class UsageError extends CliError {
  /** The command whose `--help` to point at, if known. */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message, 2);
    this.name = "UsageError";
    this.command = command;
  }
}

/** The API answered with its error envelope `{"error": {code, message, details?}}`. */
export class ApiError extends CliError {
  readonly status: number;
  readonly code: string;
  readonly details: unknown[] | undefined;
  constructor(status: number, code: string, message: string, details?: unknown[]) {
    super(`${code}: ${message}`);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}
