import { closeOnSignals } from '../../lib/lifecycle.js';
import { loadOrdersConfig } from './config.js';
import { startOrders } from './service.js';

const running = await startOrders(loadOrdersConfig());
closeOnSignals(running.close, running.deps.logger);
