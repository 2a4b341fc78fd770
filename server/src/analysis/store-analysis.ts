import type { EventStore } from '../store/event-store.js';
import { ANALYSED_KINDS } from './from-events.js';
import { IncrementalAnalysis } from './incremental-analysis.js';
import type { AnalysisResult } from './analyze.js';

/**
 * The analysis of a store, brought up to date on each call with the events stored since the last one
 * (read by sequence number). A prune (fewer events than were analysed plus those added) starts it over.
 * Stores without sequence numbers are analysed whole each time.
 */
export class StoreAnalysis {
  private analysis = new IncrementalAnalysis();
  private seq = 0;
  private count = 0;

  constructor(private readonly store: EventStore) {}

  result(): AnalysisResult {
    const { store } = this;
    if (!store.position || !store.countBetween || !store.eventsBetween) {
      const whole = new IncrementalAnalysis();
      whole.add(store.allEvents(ANALYSED_KINDS));
      return { races: whole.races(), notAnalysed: whole.notAnalysed(), accesses: whole.size };
    }
    const { lastSeq, events } = store.position();
    let added = store.countBetween(this.seq, lastSeq);
    if (events !== this.count + added) {
      // Events were pruned: what was analysed is no longer what is stored.
      this.analysis = new IncrementalAnalysis();
      this.seq = 0;
      this.count = 0;
      added = events;
    }
    if (added > 0) {
      this.analysis.add(store.eventsBetween(this.seq, lastSeq, ANALYSED_KINDS));
      this.seq = lastSeq;
      this.count = events;
    }
    return { races: this.analysis.races(), notAnalysed: this.analysis.notAnalysed(), accesses: this.analysis.size };
  }
}
