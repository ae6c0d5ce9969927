/** The tests use the same probe as the local engines (a loopback port, bound, then released). */
export { freePort } from '../../local/free-port';
