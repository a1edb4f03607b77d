import { Strata } from '../../src/index.js';
import { cassandraUrl } from '../helpers/cassandra.js';
import { versionSemantics } from './semantics.js';

versionSemantics('cassandra', () => Strata.open({ store: cassandraUrl('strata_sem') }));
