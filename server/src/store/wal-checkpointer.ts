import Database from 'better-sqlite3';

/** How often the WAL is copied into the database file. */
const EVERY_MS = 200;

/**
 * Copies the write-ahead log into the database file from its own connection (PASSIVE: never blocks the
 * writer or readers), so the writer's commits do not pay for checkpoints. The writer keeps a backstop
 * checkpoint in case this falls behind. Closing runs a last full checkpoint and truncates the log.
 */
export class WalCheckpointer {
  private readonly db: Database.Database;
  private readonly timer: NodeJS.Timeout;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('busy_timeout = 10000');
    this.timer = setInterval(() => this.checkpoint('PASSIVE'), EVERY_MS);
  }

  private checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): void {
    try {
      this.db.pragma(`wal_checkpoint(${mode})`);
    } catch {
      // Busy or interrupted: the next round (or the writer's backstop) catches up.
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.checkpoint('TRUNCATE');
    this.db.close();
  }
}
