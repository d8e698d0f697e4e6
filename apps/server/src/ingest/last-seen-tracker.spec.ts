import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { IngestDeviceRepository } from './ingest-device.repository.js';
import { LastSeenTracker } from './last-seen-tracker.js';

/** A repository that records each write, and fails while `down`. */
function setup() {
  const writes: [string, number][][] = [];
  const state = { down: false };
  const repository = {
    touchLastSeen: async (lastSeen: ReadonlyMap<string, number>) => {
      if (state.down) throw new Error('connection refused');
      writes.push([...lastSeen]);
    },
  } as unknown as IngestDeviceRepository;
  return { tracker: new LastSeenTracker(repository), writes, state };
}

describe('LastSeenTracker', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('keeps the newest time per device and writes all of them in one statement', async () => {
    const { tracker, writes } = setup();
    tracker.note(new Map([['OX-1', 2000], ['OX-2', 1000]]));
    tracker.note(new Map([['OX-1', 1500]])); // older: ignored
    tracker.note(new Map([['OX-2', 3000]]));
    await tracker.flush();
    expect(writes).toEqual([[['OX-1', 2000], ['OX-2', 3000]]]);
    await tracker.flush();
    expect(writes).toHaveLength(1); // nothing new: no statement
  });

  it('keeps what a failed write held for the next flush, merged with newer times', async () => {
    const { tracker, writes, state } = setup();
    tracker.note(new Map([['OX-1', 2000], ['OX-2', 1000]]));
    state.down = true;
    await tracker.flush();
    tracker.note(new Map([['OX-1', 2500]]));
    state.down = false;
    await tracker.flush();
    expect(writes).toEqual([[['OX-1', 2500], ['OX-2', 1000]]]);
  });

  it('flushes once a second after start, and what is left at stop', async () => {
    jest.useFakeTimers();
    const { tracker, writes } = setup();
    tracker.start();
    tracker.note(new Map([['OX-1', 1000]]));
    await jest.advanceTimersByTimeAsync(999);
    expect(writes).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(writes).toEqual([[['OX-1', 1000]]]);
    tracker.note(new Map([['OX-1', 2000]]));
    await tracker.stop();
    expect(writes).toEqual([[['OX-1', 1000]], [['OX-1', 2000]]]);
    tracker.note(new Map([['OX-1', 3000]]));
    await jest.advanceTimersByTimeAsync(5000);
    expect(writes).toHaveLength(2); // stopped: no timer left
  });
});
