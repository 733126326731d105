// Package esltest is a faithful FreeSWITCH simulator for tests, the
// "httptest" of the event socket: a simulated channel whose socket
// application dials a daemon (Dial, or NewCall over any net.Conn), and an
// inbound event socket (NewInboundServer).
//
// It reproduces what real FreeSWITCH 1.10.12 writes, as captured in
// esl/testdata (its README says how each capture was made): the connect
// reply's CHANNEL_DATA block, the full gate and the exact reply
// texts, myevents and filters, the execution queue, CHANNEL_EXECUTE and
// CHANNEL_EXECUTE_COMPLETE with the channel variables FreeSWITCH adds as
// apps run (in FreeSWITCH's order), DTMF, the hangup tail with and without
// linger, and the disconnect notices. Every capture replays frame for
// frame (replay_test.go). Where real FreeSWITCH races (CHANNEL_PARK after
// connect, where the linger notice falls), Options pick the outcome.
// Behaviour no capture shows is marked "not captured" in the code.
//
// A test places a call and plays the caller:
//
//	call, err := esltest.Dial(ctx, daemonAddr, esltest.Options{
//		Speed: 1000, // a 3 s prompt plays in 3 ms
//		OnApp: func(c *esltest.Call, run esltest.AppRun) {
//			if run.App == "play_and_get_digits" {
//				c.Digits("1") // reaches the app as it starts
//			}
//		},
//	})
//	…
//	r, err := call.Wait(ctx) // r.Outcome, r.Cause, r.By
//
// Time. Media runs fast, daemons and web apps do not. Media durations,
// app timeouts, a ringing bridge and the linger time are simulated and
// divided by Options.Speed; time the channel spends waiting on the daemon
// (between its commands, so while it waits for its web app) passes at real
// speed, so an app that takes 3 s to answer adds 3 s to the call's
// duration whatever the Speed. The simulated clock moves to a timer's
// exact deadline when it fires, so an app that ends on its own lasts
// exactly its simulated length however late the goroutine ran (clock.go).
// Under testing/synctest over net.Pipe (NewCall), Speed 1 replays real
// timings in no wall-clock time.
//
// How a call ends (Result): a daemon that lets go of a live call (exit or
// close) without resume, when the dialplan has nothing after socket, gets
// it hung up NORMAL_CLEARING by FreeSWITCH (By: ByDialplan), as the
// exit-before-hangup capture shows; only a socket closed before connect in
// async mode leaves the channel Parked with nobody driving it, and a static
// (sync) socket let go after resume is Stranded in CS_RESET, as real
// 1.10.12 leaves it. After transfer the socket stays open and carries the
// new extension's events (Options.Extensions) until the daemon exits.
// Bridge targets answer, are busy, ring out or fail as Options.
// BridgeTargets says, with the real traces' variables and events.
//
// Placing calls. The inbound server also answers `bgapi originate …
// '&socket(…)'` (originate.go, SetOriginate): the new channel rings, then
// answers, is busy, rings out or fails as OriginateOptions.Targets says;
// the job's BACKGROUND_JOB says "+OK <uuid>" or "-ERR <CAUSE>", the
// channel's PROGRESS, ANSWER and HANGUP_COMPLETE carry its variables for
// a listener's filter, and an answered channel's socket application dials
// the daemon, before or after the job's result (SocketFirst). Not
// captured on a real switch: it follows the 1.10.12 source.
//
// Real traces. The simulator is checked against real captures, and so is
// the daemon: ReplayTrace plays FreeSWITCH's side of a real call's wire
// trace (LoadTrace) against a daemon, feeding the recorded frames as the
// daemon's commands arrive and requiring those commands to be the
// recorded ones, so a test does not compare the simulator with itself.
// A command the daemon sends that a capture predates is replayed with
// Trace.WithInstantApp: it inserts the command and the frames of an
// application that completes at once, synthesised from the trace's next
// CHANNEL_EXECUTE and marked as such in the trace's README; a nixevent
// after myevents, with Trace.WithNixEvent, which also drops the nixed
// events from the rest of the trace.
//
// Cost. Each call runs two goroutines (a command reader and the loop that
// owns the channel and is the socket's only writer) and one timer; events
// are built when fired and serialised when written, into pooled buffers
// flushed once per loop step. Options.DiscardHistory drops the record of
// written frames for load generation.
package esltest
