import { describe, expect, it } from '@jest/globals';
import { backendMaySubscribe, deviceMayPublish, devicePublishTopics } from './device-acl.js';

describe('device ACL', () => {
  it('lists the device topics', () => {
    expect(devicePublishTopics('OX-1')).toEqual(['tm/v1/devices/OX-1/readings', 'tm/v1/devices/OX-1/status']);
  });

  it.each([
    ['tm/v1/devices/OX-1/readings', true],
    ['tm/v1/devices/OX-1/status', true],
    ['tm/v1/devices/OX-2/readings', false],
    ['tm/v1/devices/OX-1/commands', false],
    ['tm/v1/devices/OX-1/readings/extra', false],
    ['tm/v1/devices/OX-1', false],
    ['tm/v1/devices/OX-10/readings', false],
    ['tm/v1/devices/+/readings', false],
    ['tm/v2/devices/OX-1/readings', false],
    ['$SYS/broker/uptime', false],
    ['', false],
  ])('device OX-1 publishing to %j: %s', (topic, allowed) => {
    expect(deviceMayPublish('OX-1', topic)).toBe(allowed);
  });

  it.each([
    ['tm/v1/devices/+/readings', true],
    ['tm/v1/devices/+/status', true],
    ['$share/ingest/tm/v1/devices/+/readings', true],
    ['$share/test-1234/tm/v1/devices/+/status', true],
    ['$share/+/tm/v1/devices/+/readings', false],
    ['$share//tm/v1/devices/+/readings', false],
    ['$share/ingest', false],
    ['#', false],
    ['tm/#', false],
    ['tm/v1/devices/#', false],
    ['tm/v1/devices/OX-1/readings', false],
    ['$CONTROL/dynamic-security/v1/response', false],
  ])('backend subscribing to %j: %s', (filter, allowed) => {
    expect(backendMaySubscribe(filter)).toBe(allowed);
  });
});
