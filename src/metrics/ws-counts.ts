/**
 * One endpoint's socket counts, in plain numbers: every `Peer` of the endpoint holds the same
 * object, so a frame written is one `++` on a field (no label lookup, no allocation). Exposed at
 * scrape time as `ws_connections`, `ws_messages_in_total` and `ws_messages_out_total`.
 */
export class EndpointCounts {
  /** Sockets open now (upgraded, not yet closed). */
  open = 0;
  /** Frames received from clients, every one: JSON, text, `ping`, malformed, over the rate limit. */
  received = 0;
  /** Data frames written to sockets: deliveries, replies, errors, gap frames, `pong`. */
  written = 0;
}

/** The counts of every endpoint, by its route pattern (`/ws/chat/:group`). */
export class WsCounts {
  private readonly endpoints = new Map<string, EndpointCounts>();

  /** The counts of the endpoint at `path`, made on first use (each endpoint's gateway, at start-up). */
  endpoint(path: string): EndpointCounts {
    let counts = this.endpoints.get(path);
    if (!counts) this.endpoints.set(path, (counts = new EndpointCounts()));
    return counts;
  }

  entries(): IterableIterator<[string, EndpointCounts]> {
    return this.endpoints.entries();
  }
}
