import type { EventStore, EventStream, StoredEvent } from '../store/event-store.js';
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

  async result(): Promise<AnalysisResult> {
    const { store } = this;
    if (!store.position || !store.countBetween || !store.eventsBetween) {
      const whole = new IncrementalAnalysis();
      await addAll(whole, store.allEvents(ANALYSED_KINDS));
      return { races: whole.races(), notAnalysed: whole.notAnalysed(), accesses: whole.size };
    }
    const { lastSeq, events } = await store.position();
    let added = await store.countBetween(this.seq, lastSeq);
    if (events !== this.count + added) {
      // Events were pruned: what was analysed is no longer what is stored.
      this.analysis = new IncrementalAnalysis();
      this.seq = 0;
      this.count = 0;
      added = events;
    }
    if (added > 0) {
      await addAll(this.analysis, store.eventsBetween(this.seq, lastSeq, ANALYSED_KINDS));
      this.seq = lastSeq;
      this.count = events;
    }
    return { races: this.analysis.races(), notAnalysed: this.analysis.notAnalysed(), accesses: this.analysis.size };
  }
}

/** Pages of a streamed read: each is taken in as it comes, the passes run once at the end. */
const PAGE = 20_000;

async function addAll(analysis: IncrementalAnalysis, events: EventStream): Promise<void> {
  if (Symbol.iterator in events) {
    analysis.add(events);
    return;
  }
  let page: StoredEvent[] = [];
  for await (const event of events) {
    page.push(event);
    if (page.length === PAGE) {
      analysis.ingest(page);
      page = [];
    }
  }
  analysis.ingest(page);
  analysis.settle();
}
