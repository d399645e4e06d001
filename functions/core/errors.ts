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
