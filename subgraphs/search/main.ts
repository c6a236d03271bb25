import { closeOnSignals } from '../../lib/lifecycle.js';
import { loadSearchConfig } from './config.js';
import { startSearch } from './service.js';

const running = await startSearch(loadSearchConfig());
closeOnSignals(running.close, running.deps.logger);
