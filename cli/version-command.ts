import { defineCommand } from '../daemon/command.js';

export const SEXTANT_VERSION = '0.1.0';

export default defineCommand({
  name: 'version',
  usage: 'sextant version',
  summary: 'Print the Sextant version.',
  flags: {},
  async run() {
    process.stdout.write(`sextant ${SEXTANT_VERSION}\n`);
  },
});
