import { raceway } from './index.js';

/** `plugins: [raceway()]` in the vite configuration. */
export default raceway.vite;
