// generate.js writes vectors.json: X-Twilio-Signature values computed by
// Twilio's own helper library (npm twilio), for signature_test.go.
// Run once: cd /tmp && npm install twilio && cp generate.js /tmp && node /tmp/generate.js > vectors.json
const twilio = require("twilio");
const { getExpectedTwilioSignature, validateRequest } = twilio;

const token = "12345";
const cases = [
  {
    name: "documented",
    url: "https://mycompany.com/myapp.php?foo=1&bar=2",
    params: { CallSid: "CA1234567890ABCDE", Caller: "+12349013030", Digits: "1234", From: "+12349013030", To: "+18005551212" },
  },
  {
    name: "post",
    url: "https://apps.example.com/twiml/voice",
    params: {
      AccountSid: "AC0123456789abcdef0123456789abcdef", ApiVersion: "2010-04-01",
      CallSid: "CA9a7c1b2e4d3f45a6b7c8d9e0f1a2b3c4", CallStatus: "in-progress", Called: "+15005550006",
      Caller: "+15005550001", CallerName: "Jane Doe", Direction: "inbound", From: "+15005550001",
      To: "+15005550006", Digits: "42#", FinishedOnKey: "#",
    },
  },
  {
    name: "get",
    url: "https://apps.example.com/twiml/voice?AccountSid=AC0123456789abcdef0123456789abcdef&CallSid=CA9a7c1b2e4d3f45a6b7c8d9e0f1a2b3c4&Digits=7&From=%2B15005550001&To=%2B15005550006",
    params: {},
  },
  {
    name: "port",
    url: "https://apps.example.com:8443/twiml/voice?lang=en",
    params: { CallSid: "CA9a7c1b2e4d3f45a6b7c8d9e0f1a2b3c4", From: "+15005550001", RecordingUrl: "https://rec.example.com/r/1.wav" },
  },
  {
    name: "repeated",
    url: "https://apps.example.com/twiml/voice",
    params: { CallSid: "CA9a7c1b2e4d3f45a6b7c8d9e0f1a2b3c4", Tag: ["b", "a", "c", "a"], From: "+15005550001" },
  },
];

const out = cases.map((c) => {
  const sig = getExpectedTwilioSignature(token, c.url, c.params);
  if (!validateRequest(token, sig, c.url, c.params)) {
    throw new Error(c.name + ": validateRequest refused its own signature");
  }
  return { name: c.name, token, url: c.url, params: c.params, signature: sig };
});
console.log(JSON.stringify({ generator: "npm twilio " + require("twilio/package.json").version + ", getExpectedTwilioSignature and validateRequest", vectors: out }, null, 2));
