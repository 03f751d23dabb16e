/**
 * Keeps the API key out of every string that leaves the plugin (log lines, error messages, files):
 * the key itself and the Basic credential built from it are replaced by `[redacted]`.
 */
export class Redactor {
  readonly #secrets: string[];

  /** @param apiKey the key to hide; nothing is hidden when undefined. */
  constructor(apiKey: string | undefined) {
    this.#secrets = apiKey ? [apiKey, Buffer.from(`api:${apiKey}`).toString('base64')] : [];
  }

  /** `text` with every secret replaced. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join('[redacted]');
    return out;
  }
}
