// Package esl speaks FreeSWITCH's event socket (mod_event_socket): framing,
// commands, events, one connection's ordering rules, the outbound Server and
// the inbound client. It knows nothing about HTTP, YAML or IVR logic; the
// proxy package builds calls on top of it.
//
// # Two modes
//
// Outbound: the dialplan app "socket 127.0.0.1:8084 async full" makes
// FreeSWITCH dial us. A Server accepts the connection, checks the peer
// against its ACL before reading a byte, sends connect (which must be the
// first command: FreeSWITCH runs any other first command but never replies
// to it) and hands the connected Conn to a Handler; Channel() holds the
// channel data of the connect reply. Over Server.MaxConns a call is refused
// politely, handed back to the dialplan by its socket mode (Conn.HandBack):
// connect, resume and exit in async mode; connect and exit with no resume in
// static (sync) mode, where a resumed socket is left in CS_RESET on
// FreeSWITCH 1.10.12. Either way the dialplan goes on instead of leaving the
// channel parked or stranded.
//
// Inbound: Dial connects to port 8021, answers auth/request with the
// password and returns a Conn (ErrAuth if the password is refused).
//
// # Frames on the wire
//
// What FreeSWITCH 1.10.12 writes and reads (mod_event_socket.c, checked
// against the captures in testdata), which this package relies on:
//
//   - A frame is a header block ended by an empty line, then exactly
//     Content-Length bytes of body when that header is present. Header
//     order differs by frame type, so nothing assumes Content-Type comes
//     first: a command/reply is "Content-Type, Reply-Text"; an api/response
//     is "Content-Type, Content-Length"; an event (text/event-plain, -json,
//     -xml) is "Content-Length, Content-Type"; a text/disconnect-notice
//     carries Controlled-Session-UUID, Content-Disposition (linger or
//     disconnect) and a body.
//   - The connect reply is the channel's CHANNEL_DATA event, URL-encoded,
//     with no Content-Length; Content-Type, Reply-Text ("%2BOK%0A"),
//     Socket-Mode and Control are its last four headers.
//   - Reply-Text is cut at 511 bytes (a 512-byte buffer).
//   - Event header values are URL-encoded by switch_url_encode_opt (space is
//     %20, and a '%' before two uppercase hex digits is copied as is).
//   - Commands we send are read by read_packet one byte at a time: line one
//     is the command, other lines split at the first ':', a line without ':'
//     is ignored, an empty value is dropped, values are not URL-decoded, and
//     a value cannot hold a newline (it goes in a body). A Content-Length
//     below 0 or above 16 MiB drops the connection; a header block stops at
//     10 MiB. While FreeSWITCH runs one command it reads nothing else and
//     writes no events.
//
// # Ordering rules of a Conn
//
//   - One reader goroutine per connection owns the byte stream and never
//     blocks on a consumer. Frames are routed by Content-Type, never by
//     guessing.
//   - Replies (command/reply, api/response) are matched first in, first out
//     to the commands that were sent. A command whose ctx ends leaves its
//     slot in the FIFO, marked abandoned, so its late reply is swallowed
//     instead of going to the next command; a reply nobody waits for closes
//     the connection, because we would be out of step. A "-ERR" reply is a
//     *ReplyError and the connection stays usable; a broken stream is a
//     *ProtocolError and it does not.
//   - Events and disconnect notices go to one ordered queue (NextEvent, or
//     Ready with TryEvent), capped by ConnOptions.MaxQueuedEvents and
//     MaxQueuedBytes: an overflow is ErrQueueOverflow, a connection error,
//     never a silent drop. log/data, rude rejections and unknown content
//     types are passed over.
//   - Every reply has a deadline (ReplyTimeout; APITimeout for api), and an
//     outbound connection silent for ProbeAfter with nothing awaited is
//     probed with a getvar: a FreeSWITCH that does not answer in time ends
//     the connection with ErrNoReply. One timer per connection does both;
//     no goroutine waits for it.
//   - Execute sets event-lock and a fresh Event-UUID, and is told about the
//     CHANNEL_EXECUTE_COMPLETE whose Application-UUID matches; the event is
//     still queued, so DTMF and completions reach NextEvent in order. BgAPI
//     is matched by Job-UUID the same way.
//   - A linger notice means the channel is gone but events keep coming (the
//     interrupted app's completion among them); only the final disconnect
//     notice and EOF end the connection. Hungup() closes at the first sign
//     the channel is gone. Use linger (bounded) and then Exit.
//
// # Pitfalls other libraries fell into, and avoided here
//
//   - a goroutine per event or listener, which reorders events (eslgo);
//   - a read loop that blocks on slow consumers, then drops frames (eslgo);
//   - timed-out commands whose late reply goes to the next caller (eslgo,
//     fiorix), and a connect reply not consumed, shifting every reply by
//     one (goesl, node-esl #72);
//   - log.Fatal or a panic on an unknown Content-Type or a short Reply-Text
//     (fiorix);
//   - net/textproto header parsing, which rejects FreeSWITCH header names
//     and canonicalises them (Unique-ID becomes Unique-Id);
//   - matching completions by application name instead of
//     Application-UUID (shimaore/esl #35);
//   - treating the linger notice as the end, losing CHANNEL_HANGUP_COMPLETE
//     and the last completion (eslgo #26);
//   - teardown that closes channels other goroutines still send on, and no
//     -race in CI (eslgo #46/#47).
package esl
