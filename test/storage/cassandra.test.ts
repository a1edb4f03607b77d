import { openStore } from '../../src/index.js';
import { cassandraUrl } from '../helpers/cassandra.js';
import { storeConformance } from './conformance.js';

storeConformance('cassandra', () => openStore(cassandraUrl('strata_conf')));
