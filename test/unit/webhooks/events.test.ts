import { describe, expect, it } from 'vitest';
import { completeEvent, isWebhookEventName, serializeEvent, WEBHOOK_EVENT_NAMES } from '../../../src/webhooks/events.js';
import { sampleParticipant, sampleRoom, sampleTrack } from './sample.js';

describe('webhook events', () => {
  it('fills id and createdAt when absent and keeps them when given', () => {
    const room = sampleRoom();
    expect(completeEvent({ event: 'room_started', room }, 'EV_new', 42)).toEqual({ id: 'EV_new', event: 'room_started', createdAt: 42, room });
    expect(completeEvent({ event: 'room_finished', room, id: 'EV_mine', createdAt: 7 }, 'EV_new', 42)).toMatchObject({ id: 'EV_mine', createdAt: 7 });
  });

  it('serializes to the documented shape', () => {
    const event = completeEvent({ event: 'track_published', room: sampleRoom(), participant: sampleParticipant(), track: sampleTrack() }, 'EV_1', 1);
    expect(Object.keys(JSON.parse(serializeEvent(event)) as object)).toEqual(['id', 'event', 'createdAt', 'room', 'participant', 'track']);
  });

  it('knows exactly the six event names', () => {
    expect(WEBHOOK_EVENT_NAMES).toHaveLength(6);
    expect(isWebhookEventName('participant_left')).toBe(true);
    expect(isWebhookEventName('participant_updated')).toBe(false);
    expect(isWebhookEventName(undefined)).toBe(false);
  });
});
