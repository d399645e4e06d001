// The few named errors that stop a whole run. Expected, per-article problems are values, not exceptions.

/** The site configuration is missing or wrong: nothing can be built until a person fixes it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** A source or destination could not be listed, read or written. */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    message: string,
    readonly code: 'NotFound' | 'Unreadable' | 'Unwritable',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A message could not be handed to the mail service. `retryable`: the same message may succeed later (throttling, an
 * outage, the network); otherwise sending it again will fail the same way (rejected, an unverified sender, a missing
 * configuration set). `code` is the service's name for the error. The message never names the recipient.
 */
export class SendError extends Error {
  override readonly name = 'SendError';
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
