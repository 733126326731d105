#!/usr/bin/env python3
"""The example IVR web app for callhook, in Python with the standard library only.

    python3 examples/webapp-python/app.py -listen 127.0.0.1:8000 [-secret S]

It is examples/webapp-go, path for path: /ivr (call.start) answers, welcomes
and asks for a menu choice; /menu handles it (1 bridges to user/1000, 2
records a message, 3 says the caller's number and asks again); /bridged and
/recorded handle those results (/recorded fetches the recording by its URL
when callhook gives one); /sorry is the fallback_url; /status logs
call.end. The number of menu visits travels in the session field.
"""

import argparse
import hashlib
import hmac
import json
import os
import socket
import sys
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

WELCOME = "ivr/ivr-welcome_to_freeswitch.wav"
MENU = "ivr/ivr-please_choose_from_the_following.wav"
INVALID = "ivr/ivr-that_was_an_invalid_entry.wav"
HOLD = "ivr/ivr-one_moment_please.wav"
RECORD = "voicemail/vm-record_message.wav"
THANKS = "ivr/ivr-thank_you_for_calling.wav"
FAILED = "ivr/ivr-call_cannot_be_completed_as_dialed.wav"
MAX_RECORDING = 64 << 20  # bytes of a recording fetched
GOODBYE = "voicemail/vm-goodbye.wav"
BRIDGE_TARGET = "user/1000"

MAX_BODY = 64 << 10
SIGNATURE_TOLERANCE = 300  # seconds: clock skew and retries, not replays


def log(msg):
    print(time.strftime("%Y/%m/%d %H:%M:%S"), msg, file=sys.stderr, flush=True)


def play(f):
    return {"play": f}


def menu(session):
    """The menu's verbs; counts the visit in the session."""
    session["menu_visits"] = session.get("menu_visits", 0) + 1
    return [{"gather": {
        "play": MENU, "max": 1, "tries": 3, "timeout": "5s",
        "regex": "^[123]$", "invalid": INVALID, "action": "/menu",
    }}]


def session_of(req):
    s = req.get("session")
    return dict(s) if isinstance(s, dict) else {"menu_visits": 0}


def step_start(req):
    s = session_of(req)
    return {"session": s, "verbs": ["answer", play(WELCOME)] + menu(s)}


def step_menu(req):
    s = session_of(req)
    res = req.get("result") or {}
    if res.get("reason") != "ok":
        # Three tries without a valid choice: let the caller go.
        return {"session": s, "verbs": [play(GOODBYE), "hangup"]}
    digits = res.get("digits", "")
    s["last_choice"] = digits
    if digits == "1":
        return {"session": s, "verbs": [
            play(HOLD),
            {"bridge": {"to": BRIDGE_TARGET, "timeout": "20s", "action": "/bridged"}},
        ]}
    if digits == "2":
        return {"session": s, "verbs": [
            play(RECORD),
            {"record": {"path": "callhook-%s.wav" % req.get("call_id", ""), "max": "30s",
                        "silence": "3s", "terminators": "#", "action": "/recorded"}},
        ]}
    if digits == "3":
        say = {"say": {"text": (req.get("call") or {}).get("from", ""),
                       "type": "telephone_number", "method": "iterated"}}
        return {"session": s, "verbs": [say] + menu(s)}
    # The gather's regex lets only 1-3 through; anything else asks again.
    return {"session": s, "verbs": menu(s)}


def step_bridged(req):
    s = session_of(req)
    bridge = (req.get("result") or {}).get("bridge") or {}
    if bridge.get("status") == "SUCCESS":
        return {"session": s, "verbs": [play(THANKS), "hangup"]}
    return {"session": s, "verbs": [play(FAILED)] + menu(s)}


def fetch_recording(url):
    """GETs a recording at the URL callhook gave; returns its size and type."""
    with urllib.request.urlopen(url, timeout=10) as resp:
        return len(resp.read(MAX_RECORDING)), resp.headers.get("Content-Type", "")


def step_recorded(req):
    rec = (req.get("result") or {}).get("recording")
    verbs = []
    if rec:
        where = rec.get("path") or rec.get("url")  # no path when the switch uploaded it to callhook
        log("call %s: message recorded in %s (%s ms)" % (req.get("call_id"), where, rec.get("duration_ms")))
        if rec.get("url"):
            # callhook delivers recordings (its recordings key): fetch it. A
            # real app would store it; this one says in the call what it got.
            try:
                size, ctype = fetch_recording(rec["url"])
                verbs.append({"log": "message fetched: %d bytes of %s" % (size, ctype)})
            except (OSError, ValueError) as e:
                log("call %s: message not fetched: %s" % (req.get("call_id"), e))
                verbs.append({"log": "message not fetched"})
    return {"session": session_of(req), "verbs": verbs + [play(THANKS), "hangup"]}


def step_sorry(req):
    err = req.get("error")
    if err:
        log("call %s: fallback after %s failed: %s %s" % (req.get("call_id"), err.get("url"), err.get("code"), err.get("message")))
    return {"verbs": [play(FAILED), {"hangup": "NORMAL_TEMPORARY_FAILURE"}]}


def step_status(req):
    h = req.get("hangup") or {}
    visits = (req.get("session") or {}).get("menu_visits", 0)
    if req.get("outcome") == "transferred":
        # Not hung up: it went on to another extension; held_ms instead of hangup.
        log("call %s transferred after %sms, %s menu visits" % (req.get("call_id"), req.get("held_ms", 0), visits))
        return None
    log("call %s ended: %s, cause %s, %ss, %s menu visits" % (
        req.get("call_id"), req.get("outcome"), h.get("cause", ""), h.get("duration", 0), visits))
    return None


STEPS = {
    "/ivr": step_start,
    "/menu": step_menu,
    "/bridged": step_bridged,
    "/recorded": step_recorded,
    "/sorry": step_sorry,
    "/status": step_status,
}


def valid_signature(secret, header, body, now):
    """Checks X-Callhook-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>."""
    parts = dict(p.strip().split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - t) > SIGNATURE_TOLERANCE:
        return False
    want = hmac.new(secret.encode(), ("%d." % t).encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, parts.get("v1", ""))


def unflatten_form(body):
    """A form body (format: form): dotted keys with string values, session as JSON."""
    req = {}
    for key, values in parse_qs(body.decode(), keep_blank_values=True).items():
        value = values[0]
        if key == "session":
            req["session"] = json.loads(value)
            continue
        if key in ("seq", "result.recording.duration_ms", "hangup.duration", "held_ms"):
            value = int(value)
        node = req
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return req


class Handler(BaseHTTPRequestHandler):
    secret = ""

    def do_POST(self):
        step = STEPS.get(self.path.split("?", 1)[0])
        if step is None:
            return self.answer(404, "not found")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return self.answer(400, "bad Content-Length")
        if length < 0 or length > MAX_BODY:
            return self.answer(400, "body too large")
        body = self.rfile.read(length)
        if self.secret and not valid_signature(self.secret, self.headers.get("X-Callhook-Signature", ""), body, time.time()):
            log("refused %s: missing or invalid X-Callhook-Signature" % self.path)
            return self.answer(401, "missing or invalid X-Callhook-Signature")
        try:
            if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                req = unflatten_form(body)
            else:
                req = json.loads(body)
        except ValueError as e:
            return self.answer(400, "bad body: %s" % e)
        log("call %s seq %s: %s %s" % (req.get("call_id"), req.get("seq"), req.get("event"), self.path))
        reply = step(req)
        if reply is None:
            self.send_response(204)
            self.end_headers()
            return
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.split("?", 1)[0] in STEPS:
            return self.answer(405, "callhook requests are POSTs", {"Allow": "POST"})
        self.answer(404, "not found")

    def answer(self, status, text, headers=None):
        data = (text + "\n").encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        pass  # one line per request is logged in do_POST


def main():
    ap = argparse.ArgumentParser(description="callhook's example IVR web app")
    ap.add_argument("-listen", "--listen", default="127.0.0.1:8000", help="address to serve on (port 0 picks a free one)")
    ap.add_argument("-secret", "--secret", default=os.environ.get("CALLHOOK_SECRET", ""),
                    help="verify X-Callhook-Signature with this secret (default $CALLHOOK_SECRET)")
    args = ap.parse_args()
    host, _, port = args.listen.rpartition(":")
    Handler.secret = args.secret
    host = host.strip("[]") or "127.0.0.1"
    server_class = ThreadingHTTPServer
    if ":" in host:
        class Server6(ThreadingHTTPServer):
            address_family = socket.AF_INET6
        server_class = Server6
    srv = server_class((host, int(port)), Handler)
    # The first line says where the app is, so scripts and tests that ask
    # for port 0 can find it.
    addr = srv.server_address
    shown = "[%s]" % addr[0] if ":" in addr[0] else addr[0]
    print("webapp-python listening on http://%s:%d" % (shown, addr[1]), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
