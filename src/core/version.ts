// Sent in the User-Agent, so API operators can tell this action's calls apart. Kept equal to package.json's
// version by test/core/version.test.ts (importing package.json would bundle all of it).
export const VERSION = '0.1.0';
