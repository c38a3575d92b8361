// `node --require @domain-otel/node/register app.js`
import { start } from './sdk';

start({ startedBy: 'require' });
