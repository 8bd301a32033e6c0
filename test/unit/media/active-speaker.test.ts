import { describe, expect, it } from 'vitest';
import { ActiveSpeakerDetector } from '../../../src/media/forwarding/active-speaker.js';
import { FakeClock } from './helpers.js';

/** Feeds `ms` of 20 ms audio packets for each participant at the given -dBov level. */
function speak(clock: FakeClock, d: ActiveSpeakerDetector, levels: Record<string, number>, ms: number): void {
  for (let t = 0; t < ms; t += 20) {
    clock.advance(20);
    for (const [id, level] of Object.entries(levels)) d.addLevel(id, level);
  }
}

describe('ActiveSpeakerDetector', () => {
  it('elects the loudest participant above the silence floor', () => {
    const clock = new FakeClock();
    const d = new ActiveSpeakerDetector({ clock: clock.fn });
    speak(clock, d, { a: 127, b: 127 }, 1000);
    expect(d.update()).toBeUndefined();
    speak(clock, d, { a: 30, b: 127 }, 1000);
    expect(d.update()).toEqual({ speaker: 'a', previous: undefined });
  });

  it('keeps the speaker when a challenger is only slightly louder (hysteresis)', () => {
    const clock = new FakeClock();
    const d = new ActiveSpeakerDetector({ clock: clock.fn, hysteresis: 6 });
    speak(clock, d, { a: 40 }, 1000);
    d.update();
    speak(clock, d, { a: 40, b: 37 }, 2000); // b louder by 3 dB
    expect(d.update()).toBeUndefined();
    expect(d.speaker).toBe('a');
    speak(clock, d, { a: 40, b: 25 }, 1000); // b louder by 15 dB
    expect(d.update()).toEqual({ speaker: 'b', previous: 'a' });
  });

  it('holds each speaker for the minimum dwell time', () => {
    const clock = new FakeClock();
    const d = new ActiveSpeakerDetector({ clock: clock.fn, minDwellMs: 2000, windowMs: 500 });
    speak(clock, d, { a: 30 }, 500);
    expect(d.update()?.speaker).toBe('a');
    speak(clock, d, { a: 127, b: 20 }, 1000);
    expect(d.update()).toBeUndefined();
    speak(clock, d, { a: 127, b: 20 }, 1000);
    expect(d.update()).toEqual({ speaker: 'b', previous: 'a' });
  });

  it('treats DTX gaps as silence and clears a departed speaker', () => {
    const clock = new FakeClock();
    const d = new ActiveSpeakerDetector({ clock: clock.fn });
    speak(clock, d, { a: 30 }, 1000);
    expect(d.update()?.speaker).toBe('a');
    clock.advance(3000); // no packets at all: DTX
    expect(d.score('a')).toBe(0);
    expect(d.update()).toEqual({ speaker: undefined, previous: 'a' });
    speak(clock, d, { b: 30 }, 1000);
    d.update();
    expect(d.remove('b')).toEqual({ speaker: undefined, previous: 'b' });
  });
});
