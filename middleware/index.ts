/**
 * `lambda-shared-token/middleware`: the Middy adapter. It arrives with the middleware
 * issue; until then this entry point re-exports the core so the package shape is final.
 */
export * from '../layer/index.js';
