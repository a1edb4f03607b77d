import { Strata } from '../../src/index.js';
import { versionSemantics } from './semantics.js';

versionSemantics('memory', () => Strata.open({ store: 'memory:' }));
