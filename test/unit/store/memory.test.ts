import { createMemoryStore } from '../../../src/store/memory.js';
import { describeStoreContract } from '../../store/contract.js';

describeStoreContract('memory', async () => ({ store: createMemoryStore() }), { persistent: false });
