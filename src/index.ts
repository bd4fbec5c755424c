import { run } from './main.ts';
import { cancelOnSignals } from './cancel.ts';

await run({ signal: cancelOnSignals() });
