// The token each attempt is made with. The server closes a socket whose token expired (4001) and
// refuses a handshake with an expired or invalid one (401); retrying with the same token cannot
// succeed, so the client asks the application for a fresh one (`getToken`) before it reconnects.
// It asks at most `tokenRetries` times in a row without an open, so a getToken that keeps failing,
// or keeps giving tokens the server refuses, ends in an error rather than a loop.

/** Where a token comes from: a function is awaited, and may return a string or a promise of one. */
export type TokenGetter = () => string | Promise<string>;

export class TokenSource {
  /** The last token getToken gave; undefined until it is asked. */
  private fresh: string | undefined;
  /** getToken calls since the last open. */
  private asked = 0;

  constructor(
    private readonly token: string | TokenGetter,
    private readonly getToken: TokenGetter | undefined,
    private readonly retries: number,
  ) {}

  /**
   * Whether a fresh token can be asked for: `getToken`, or else a `token` function (which is
   * called before every attempt anyway).
   */
  get renewable(): boolean {
    return this.renewer !== undefined;
  }

  /** getToken was asked `tokenRetries` times since the last open: ask no more. */
  get exhausted(): boolean {
    return this.asked >= this.retries;
  }

  get attempts(): number {
    return this.asked;
  }

  /**
   * The token of the next attempt: the fresh one once there is one. With a `token` function it
   * stands in for one attempt only, since the function is otherwise called before every attempt.
   */
  async current(): Promise<string> {
    const fresh = this.fresh;
    if (fresh === undefined) return typeof this.token === 'function' ? this.token() : this.token;
    if (typeof this.token === 'function') this.fresh = undefined;
    return fresh;
  }

  /** A socket opened with the current token: the tries start over. */
  opened(): void {
    this.asked = 0;
  }

  /** Asks for a fresh token; rejects with what getToken threw, or a TypeError for no token. */
  async renew(): Promise<void> {
    const renewer = this.renewer;
    if (!renewer) throw new Error('no getToken to ask');
    this.asked += 1;
    const value: unknown = await renewer();
    if (typeof value !== 'string' || value === '')
      throw new TypeError('getToken gave no token (not a non-empty string)');
    this.fresh = value;
  }

  private get renewer(): TokenGetter | undefined {
    return this.getToken ?? (typeof this.token === 'function' ? this.token : undefined);
  }
}
