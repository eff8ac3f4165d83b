import { dataplaneSuite } from './dataplane-suite.js';

dataplaneSuite('legacy');
