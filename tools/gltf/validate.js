// Validate a .glb/.gltf with the Khronos glTF validator and print the report as JSON on stdout.
// Usage: node tools/gltf/validate.js FILE.glb   (exit 0 when the report has no errors, 1 otherwise,
// 2 when the file could not be validated at all). Used by duologue-export's tests.
'use strict';
const fs = require('fs');
const path = require('path');
const validator = require('gltf-validator');

const file = process.argv[2];
if (!file) {
  console.error('usage: node validate.js FILE.glb');
  process.exit(2);
}
const bytes = new Uint8Array(fs.readFileSync(file));
validator
  .validateBytes(bytes, { uri: path.basename(file), maxIssues: 100 })
  .then((report) => {
    console.log(JSON.stringify(report, null, 1));
    process.exit(report.issues.numErrors === 0 ? 0 : 1);
  })
  .catch((err) => {
    console.error(String(err));
    process.exit(2);
  });
