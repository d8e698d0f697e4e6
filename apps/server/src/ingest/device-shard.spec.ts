import { describe, expect, it } from '@jest/globals';
import { readingsTopic, statusTopic } from '#protocol';
import { deviceShard, isForeignShard } from './device-shard.js';

describe('deviceShard (FNV-1a 32 bits of the device id, modulo the shard count)', () => {
  // The published FNV-1a test vectors: "a" → 0xe40c292c, "foobar" → 0xbf9cf968.
  it.each([
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('hashes %s as FNV-1a does', (id, hash) => {
    expect(deviceShard(id, 2 ** 31)).toBe(hash % 2 ** 31);
    expect(deviceShard(id, 7)).toBe(hash % 7);
  });

  it('is stable: the same id, the same shard, whatever else was hashed before', () => {
    const first = deviceShard('OX-000123', 4);
    for (let i = 0; i < 100; i++) deviceShard(`OX-${i}`, 4);
    expect(deviceShard('OX-000123', 4)).toBe(first);
  });

  it('spreads device ids over every shard, each within 20 % of an even share', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[deviceShard(`OX-${String(i).padStart(6, '0')}`, 4)]!++;
    for (const n of counts) expect(Math.abs(n - 1000)).toBeLessThan(200);
  });

  it('puts everything in shard 0 with one shard', () => {
    expect(deviceShard('anything', 1)).toBe(0);
  });
});

describe('isForeignShard (topic → is this message another shard\'s?)', () => {
  const id = 'OX-SHARD-1';
  const owner = deviceShard(id, 3);

  it('gives a device\'s readings and status to its own shard only', () => {
    for (let index = 0; index < 3; index++) {
      expect(isForeignShard(readingsTopic(id), { index, count: 3 })).toBe(index !== owner);
      expect(isForeignShard(statusTopic(id), { index, count: 3 })).toBe(index !== owner);
    }
  });

  it('gives a bad topic (invalid device id) to exactly one shard, by the raw level', () => {
    const topic = 'tm/v1/devices/bad id!/readings';
    const owners = [0, 1, 2].filter((index) => !isForeignShard(topic, { index, count: 3 }));
    expect(owners).toEqual([deviceShard('bad id!', 3)]);
  });

  it('gives a topic outside the device root to shard 0, and everything to a single shard', () => {
    expect(isForeignShard('other/topic', { index: 0, count: 2 })).toBe(false);
    expect(isForeignShard('other/topic', { index: 1, count: 2 })).toBe(true);
    expect(isForeignShard(readingsTopic(id), { index: 0, count: 1 })).toBe(false);
  });
});
