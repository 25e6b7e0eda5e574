/**
 * Runs the user's test of examples/handler-test as it is written (Jest collects tests under test/
 * only). Run alone with --detectOpenHandles, it shows that a handler tested through
 * `lambda-shared-token/testing` leaves nothing open.
 */
import '../../examples/handler-test/query-accounts.test.js';
