// Package esltest is a faithful FreeSWITCH simulator for tests, the
// "httptest" of the event socket: a simulated channel whose socket
// application dials a daemon (Dial), and an inbound event socket
// (NewInboundServer).
//
// It reproduces what real FreeSWITCH 1.10.12 writes, as captured in
// esl/testdata (transcripts/README.md) and described in esl-protocol.md §9:
// the connect reply's CHANNEL_DATA block, the full gate and the exact reply
// texts, myevents and filters, the execution queue, CHANNEL_EXECUTE and
// CHANNEL_EXECUTE_COMPLETE with the channel variables FreeSWITCH adds as
// apps run, DTMF, the hangup tail with and without linger, and the
// disconnect notices. Where real FreeSWITCH races (CHANNEL_PARK after
// connect, where the linger notice falls), Options pick the outcome.
// Behaviour no capture shows is marked "not captured" in the code.
//
// Each call costs two goroutines (a command reader and the loop that owns
// the channel and is the socket's only writer) and one timer; events are
// built when fired and serialised when written. Options.Speed runs media
// time faster, so a test plays a 3 s prompt in 3 ms.
package esltest
