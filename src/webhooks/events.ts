/**
 * Webhook events (docs/webhooks.md). Each is one JSON object:
 *
 *   { id, event, createdAt, room, participant?, track?, reason? }
 *
 * `id` is unique per event and stays the same across delivery attempts (receivers dedupe on it:
 * delivery is at-least-once); `createdAt` is Unix milliseconds when the event happened.
 */
import type { LeaveReason, ParticipantInfo, RoomInfo, TrackInfo } from '../signaling/protocol.js';

/** What each event carries besides id, event and createdAt. */
export interface WebhookEventData {
  room_started: { room: RoomInfo };
  room_finished: { room: RoomInfo };
  participant_joined: { room: RoomInfo; participant: ParticipantInfo };
  participant_left: { room: RoomInfo; participant: ParticipantInfo; reason: LeaveReason };
  track_published: { room: RoomInfo; participant: ParticipantInfo; track: TrackInfo };
  track_unpublished: { room: RoomInfo; participant: ParticipantInfo; track: TrackInfo };
}

export type WebhookEventName = keyof WebhookEventData;

export const WEBHOOK_EVENT_NAMES = [
  'room_started',
  'room_finished',
  'participant_joined',
  'participant_left',
  'track_published',
  'track_unpublished',
] as const satisfies readonly WebhookEventName[];

export type WebhookEventOf<E extends WebhookEventName> = { id: string; event: E; createdAt: number } & WebhookEventData[E];

/** Any webhook event, discriminated by `event`. */
export type WebhookEvent = { [E in WebhookEventName]: WebhookEventOf<E> }[WebhookEventName];

/** What a caller hands to the dispatcher: an event whose id and createdAt may be left for it to fill. */
export type WebhookEventInput = {
  [E in WebhookEventName]: { id?: string; event: E; createdAt?: number } & WebhookEventData[E];
}[WebhookEventName];

export function isWebhookEventName(value: unknown): value is WebhookEventName {
  return typeof value === 'string' && (WEBHOOK_EVENT_NAMES as readonly string[]).includes(value);
}

/** Completes an input with an id and a creation time (kept when given), keys in documented order. Pure. */
export function completeEvent(input: WebhookEventInput, id: string, now: number): WebhookEvent {
  const { id: given, event, createdAt, ...data } = input;
  // The spread loses the link between `event` and its data that the input type guarantees.
  return { id: given ?? id, event, createdAt: createdAt ?? now, ...data } as WebhookEvent;
}

/** The exact body POSTed for an event (and stored in the queue). */
export function serializeEvent(event: WebhookEvent): string {
  return JSON.stringify(event);
}
