// Captures one Calls.json create request as twilio-node sends it.
const http = require('http');
const fs = require('fs');
const twilio = require('twilio');
const RequestClient = require('twilio/lib/base/RequestClient');

const srv = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const headers = {};
    for (const h of ['authorization', 'content-type', 'accept', 'user-agent']) headers[h] = req.headers[h];
    fs.writeFileSync(process.argv[2], JSON.stringify({ method: req.method, path: req.url, headers, body }, null, 2) + '\n');
    res.writeHead(201, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ sid: 'CA00000000000000000000000000000000', status: 'queued' }));
  });
});
srv.listen(0, '127.0.0.1', async () => {
  const port = srv.address().port;
  class Local extends RequestClient {
    request(opts) {
      opts.uri = opts.uri.replace('https://api.twilio.com', 'http://127.0.0.1:' + port);
      return super.request(opts);
    }
  }
  const client = twilio('AC0123456789abcdef0123456789abcdef', 's3cret-token', { httpClient: new Local() });
  const call = await client.calls.create({
    to: '+15550001',
    from: '+15559999',
    url: 'http://127.0.0.1:1/voice',
    method: 'POST',
    statusCallback: 'http://127.0.0.1:1/status',
    statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
    statusCallbackMethod: 'POST',
    timeout: 30,
  });
  console.log('created', call.sid);
  srv.close();
});
