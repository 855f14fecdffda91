/**
 * Side-band-64k demultiplexer: band 1 carries pack bytes, band 2 progress text, band 3 a fatal
 * error. ERR packets may appear instead of any packet. Empty band-1 packets are keepalives.
 * The pack stream ends at a flush packet (or at end of stream; the pack parser detects truncation).
 */
import { UpstreamError } from '../errors.js';
import { pktText, type PktReader } from './pkt-line.js';
import { remoteMessageError } from './remote-errors.js';

const PROGRESS_KEEP = 2048;

export class SidebandDemuxer {
  private progress = '';

  constructor(
    private readonly reader: PktReader,
    private readonly where: string,
  ) {}

  /** The tail of band-2 progress text seen so far (for diagnosing an abrupt end). */
  get progressText(): string {
    return this.progress;
  }

  async *packData(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const p = await this.reader.next();
      if (p === null || p.kind === 'flush' || p.kind === 'response-end') return;
      if (p.kind === 'delim') throw new UpstreamError(`${this.where}: unexpected delimiter in pack data`);
      const d = p.data;
      if (d.length >= 4 && d.toString('latin1', 0, 4) === 'ERR ') {
        throw remoteMessageError(this.where, pktText(d.subarray(4)));
      }
      const band = d[0];
      if (band === 1) {
        if (d.length > 1) yield d.subarray(1);
      } else if (band === 2) {
        this.progress = (this.progress + d.toString('utf8', 1)).slice(-PROGRESS_KEEP);
      } else if (band === 3) {
        throw remoteMessageError(this.where, d.toString('utf8', 1));
      } else {
        throw new UpstreamError(`${this.where}: protocol error: bad sideband ${String(band)}`);
      }
    }
  }
}
