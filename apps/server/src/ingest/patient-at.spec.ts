import { describe, expect, it } from '@jest/globals';
import { IngestBatch } from './ingest-batch.js';
import { patientAt, type DeviceInfo } from './ingest-device.repository.js';

const device: DeviceInfo = {
  deviceId: 'OX-1',
  patientId: 'p3',
  kind: 'oximeter',
  active: true,
  since: 3000,
  earlier: [
    { patientId: 'p1', until: 1000 },
    { patientId: 'p2', until: 3000 },
  ],
};

describe('patientAt: the patient of a sample time on a reassigned device', () => {
  it.each([
    [0, 'p1'],
    [999, 'p1'],
    [1000, 'p2'],
    [2999, 'p2'],
    [3000, 'p3'],
    [9000, 'p3'],
  ])('at %i → %s', (at, patient) => {
    expect(patientAt(device, at)).toBe(patient);
  });

  it('a device never reassigned: always its patient', () => {
    expect(patientAt({ deviceId: 'OX-2', patientId: 'p', kind: 'oximeter', active: true }, 0)).toBe('p');
  });

  it('stores each sample with its patient; the rules get the current patient’s samples only', () => {
    const batch = new IngestBatch();
    batch.addSamples(device, [{ at: 500, values: { spo2: 90 }, signalOk: true }, { at: 3500, values: { spo2: 95 }, signalOk: true }] as never, 4000);
    expect(batch.patientIds).toEqual(['p1', 'p3']);
    expect(batch.storedBatches().map((b) => ({ patientId: b.patientId, at: b.samples.map((s) => s.at) }))).toEqual([{ patientId: 'p3', at: [3500] }]);
  });
});
