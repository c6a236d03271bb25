import { closeOnSignals } from '../../lib/lifecycle.js';
import { loadProductsConfig } from './config.js';
import { startProducts } from './service.js';

const running = await startProducts(loadProductsConfig());
closeOnSignals(running.close, running.deps.logger);
