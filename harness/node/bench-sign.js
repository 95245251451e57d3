'use strict';
// Baseline for `tbjwt bench node`: how fast jsonwebtoken.sign alone runs in a Node loop on the same
// payloads the action would sign. Reads a JSON array of events from the file named by argv[2], builds
// each payload as the action does, then times the sign loop only and prints {"signs_per_second": N}.
const fs = require('fs');
const jwt = require('jsonwebtoken');

const events = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const rounds = Number(process.argv[3] || 1);
const jobs = events.map((event) => ({
  secret: event.secrets.TINYBIRD_ADMIN_TOKEN,
  payload: {
    workspace_id: event.configuration.TINYBIRD_WORKSPACE_ID,
    name: `tinybird_jwt_${event.user.id}`,
    scopes: event.configuration.TINYBIRD_PIPE_NAMES.split(',').map((resource) => ({ type: 'PIPES:READ', resource })),
  },
}));
let sink = 0;
const started = process.hrtime.bigint();
for (let r = 0; r < rounds; r += 1) {
  for (const { payload, secret } of jobs) {
    sink += jwt.sign(payload, secret, { expiresIn: '7d' }).length;
  }
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({ signs_per_second: (jobs.length * rounds) / seconds, sink }));
