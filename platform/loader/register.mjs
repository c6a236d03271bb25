// `npm start` runs `node --import ./platform/loader/register.mjs platform/main.ts`: our TypeScript
// through hooks.mjs instead of tsx. See hooks.mjs for why.
import { register } from 'node:module';

// Stack traces name the .ts file and line, as under tsx.
process.setSourceMapsEnabled(true);
register('./hooks.mjs', import.meta.url);
