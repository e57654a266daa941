// Validates each HAR file given against the HAR 1.2 JSON schema
// (har-validator: har-schema with ajv); exits 1 naming the first file
// that fails and why.
const fs = require('node:fs');
const validator = require('har-validator');

(async () => {
  for (const file of process.argv.slice(2)) {
    try {
      await validator.har(JSON.parse(fs.readFileSync(file, 'utf8')));
      console.log(`${file}: valid HAR 1.2`);
    } catch (e) {
      console.error(`${file}: ${e.message} ${JSON.stringify(e.errors || [])}`);
      process.exit(1);
    }
  }
})();
