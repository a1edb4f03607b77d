import { openStore } from '../../src/index.js';
import { storeConformance } from './conformance.js';

storeConformance('memory', () => openStore('memory:'));
