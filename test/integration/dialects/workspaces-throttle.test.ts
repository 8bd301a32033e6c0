/**
 * PIN guessing on `attend` is slowed down per client address (auth.failuresPerMinute), and past
 * the hard limit the guessing connection is closed. The original allowed unlimited guesses.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../../src/store/memory.js';
import { Client, startWorkspaces } from './workspaces-harness.js';

const WRONG_PIN = 'This workspace is protected with a PIN. Wrong PIN provided.';

describe('webRTCWorkspaces: PIN guessing', () => {
  it('slows down wrong PINs and then closes the connection', async () => {
    const h = await startWorkspaces(createMemoryStore(), {}, { 'auth.failuresPerMinute': '1' });
    const owner = await Client.connect(h.url);
    const guesser = await Client.connect(h.url);
    try {
      const created = await owner.request<{ workspace: { token: string } }>('create', { workspace: { name: 'Vault', pin: '9876' } }, 'created');
      const guess = (pin: string) => guesser.request('attend', { workspace: { token: created.workspace.token, pin } }, 'alert');
      expect(await guess('0000')).toBe(WRONG_PIN);
      const started = Date.now();
      expect(await guess('0001')).toBe(WRONG_PIN);
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      const closed = new Promise<void>((resolve) => guesser.socket.once('disconnect', () => resolve()));
      expect(await guess('0002')).toBe(WRONG_PIN);
      await closed;
      expect(guesser.socket.connected).toBe(false);
    } finally {
      owner.close();
      guesser.close();
      await h.close();
    }
  });
});
