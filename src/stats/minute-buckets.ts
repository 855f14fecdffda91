/** Per-minute activity for the last hours (upstream requests made, client requests, avoided). */

export interface MinuteBucket {
  /** Start of the minute, ISO 8601. */
  minute: string;
  upstreamRequests: number;
  upstreamBytes: number;
  requestsServed: number;
  avoided: number;
}

interface Slot {
  minute: number;
  upstreamRequests: number;
  upstreamBytes: number;
  requestsServed: number;
  avoided: number;
}

type Field = 'upstreamRequests' | 'upstreamBytes' | 'requestsServed' | 'avoided';

const MINUTE = 60_000;

export class MinuteBuckets {
  private readonly slots: (Slot | undefined)[];

  constructor(
    private readonly minutes: number,
    private readonly now: () => number,
  ) {
    this.slots = new Array<Slot | undefined>(minutes).fill(undefined);
  }

  add(field: Field, amount = 1): void {
    const minute = Math.floor(this.now() / MINUTE);
    const i = minute % this.minutes;
    let slot = this.slots[i];
    if (slot === undefined || slot.minute !== minute) {
      slot = { minute, upstreamRequests: 0, upstreamBytes: 0, requestsServed: 0, avoided: 0 };
      this.slots[i] = slot;
    }
    slot[field] += amount;
  }

  /** One bucket per minute of the window, oldest first, ending with the current minute. */
  series(): MinuteBucket[] {
    const current = Math.floor(this.now() / MINUTE);
    const out: MinuteBucket[] = [];
    for (let m = current - this.minutes + 1; m <= current; m++) {
      const slot = this.slots[m % this.minutes];
      const live = slot !== undefined && slot.minute === m ? slot : undefined;
      out.push({
        minute: new Date(m * MINUTE).toISOString(),
        upstreamRequests: live?.upstreamRequests ?? 0,
        upstreamBytes: live?.upstreamBytes ?? 0,
        requestsServed: live?.requestsServed ?? 0,
        avoided: live?.avoided ?? 0,
      });
    }
    return out;
  }
}
