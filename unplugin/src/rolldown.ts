import { raceway } from './index.js';

/** `plugins: [raceway()]` in the rolldown configuration. */
export default raceway.rolldown;
