package esl

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// These tests run in synctest bubbles over net.Pipe: time.Sleep moves the
// bubble's fake clock, so "5 s later" takes no wall-clock time, and
// synctest.Wait lets every goroutine of the bubble (the reader, the
// watchdog) settle before the test looks.

// pendingReplies returns the number of replies the Conn awaits.
func pendingReplies(c *Conn) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// TestReplyTimeoutEndsConn: a FreeSWITCH that answers connect and then
// nothing (a linger that is never answered) held its call forever; now the
// reply is due within ReplyTimeout and the connection ends with ErrNoReply.
func TestReplyTimeoutEndsConn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, p := connected(t, ConnOptions{ReplyTimeout: 5 * time.Second, ProbeAfter: -1})
		r := send(c, t.Context(), "linger 30")
		p.expect("linger 30")

		time.Sleep(4 * time.Second)
		synctest.Wait()
		if r.returned() || c.Err() != nil {
			t.Fatalf("4s into a 5s reply timeout: Send returned %v, Err() = %v; want still waiting", r.returned(), c.Err())
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if _, err := r.wait(t); !errors.Is(err, ErrNoReply) {
			t.Fatalf("Send(linger 30) with no reply error = %v, want ErrNoReply", err)
		}
		if err := c.Err(); !errors.Is(err, ErrNoReply) || !strings.Contains(err.Error(), `"linger 30"`) {
			t.Errorf("Err() = %v, want ErrNoReply naming the command", err)
		}
		waitDone(t, c)
		p.expectEOF()
	})
}

// TestReplyTimeoutOfAbandonedCommand: a command whose sender gave up is
// still FreeSWITCH's to answer; if it never does, the connection ends.
func TestReplyTimeoutOfAbandonedCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, p := connected(t, ConnOptions{ReplyTimeout: 5 * time.Second, ProbeAfter: -1})
		ctx, cancel := context.WithCancel(t.Context())
		r := send(c, ctx, "myevents")
		p.expect("myevents")
		cancel()
		if _, err := r.wait(t); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Send error = %v, want context.Canceled", err)
		}
		time.Sleep(6 * time.Second)
		synctest.Wait()
		if err := c.Err(); !errors.Is(err, ErrNoReply) {
			t.Fatalf("Err() 6s after an unanswered, abandoned command = %v, want ErrNoReply", err)
		}
		p.expectEOF()
	})
}

// TestAPITimeout: an api command replies when the API returns, so it has a
// bound of its own, and the command behind it waits for it: its own time
// starts at the api's reply.
func TestAPITimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, p := connected(t, ConnOptions{ReplyTimeout: 5 * time.Second, APITimeout: time.Minute, ProbeAfter: -1})
		api := send(c, t.Context(), "api originate loopback/7100 &park")
		p.expect("api originate loopback/7100 &park")
		next := send(c, t.Context(), "linger 30")
		p.expect("linger 30")

		time.Sleep(50 * time.Second) // a slow API, well past ReplyTimeout
		synctest.Wait()
		if c.Err() != nil {
			t.Fatalf("Err() = %v 50s into a 1m api, want the connection up", c.Err())
		}
		p.write(apiFrame("+OK done\n"))
		if _, err := api.wait(t); err != nil {
			t.Fatalf("api error = %v", err)
		}
		time.Sleep(4 * time.Second) // linger's time started at the api's reply
		synctest.Wait()
		if c.Err() != nil {
			t.Fatalf("Err() = %v 4s after the api's reply, want linger still within its 5s", c.Err())
		}
		p.write(replyFrame("+OK will linger 30 seconds"))
		wantReply(t, next, "linger 30", "+OK will linger 30 seconds")

		again := send(c, t.Context(), "api uuid_kill x")
		p.expect("api uuid_kill x")
		time.Sleep(61 * time.Second)
		synctest.Wait()
		if _, err := again.wait(t); !errors.Is(err, ErrNoReply) {
			t.Fatalf("api unanswered past APITimeout: error = %v, want ErrNoReply", err)
		}
	})
}

// TestSilenceProbe: a connection with nothing awaited is probed after
// ProbeAfter of silence. An answered probe changes nothing (its reply goes
// to nobody, the FIFO stays in step); traffic postpones it; an unanswered
// one ends the connection.
func TestSilenceProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, p := connected(t, ConnOptions{ReplyTimeout: 5 * time.Second, ProbeAfter: 30 * time.Second})

		time.Sleep(20 * time.Second)
		p.write(eventFrame("Event-Name", "DTMF", "DTMF-Digit", "1", "Unique-ID", testChannelUUID))
		time.Sleep(20 * time.Second) // 40s after connect, 20s after the event
		synctest.Wait()
		if n := pendingReplies(c); n != 0 {
			t.Fatalf("a probe went out 20s after the last frame (%d replies awaited), want it at 30s", n)
		}
		time.Sleep(11 * time.Second)
		p.expect(probeCommand)
		p.write(replyFrame("-ERR command not found"))

		// The probe's reply went to nobody: the next command gets its own.
		r := send(c, t.Context(), "linger 30")
		p.expect("linger 30")
		p.write(replyFrame("+OK will linger 30 seconds"))
		wantReply(t, r, "linger 30", "+OK will linger 30 seconds")
		if ev := nextEvent(t, c); ev.DTMFDigit() != "1" {
			t.Errorf("NextEvent() = %v, want the DTMF event", ev.Name())
		}

		// Silent again, and the probe unanswered: the connection ends.
		time.Sleep(31 * time.Second)
		p.expect(probeCommand)
		time.Sleep(6 * time.Second)
		synctest.Wait()
		if err := c.Err(); !errors.Is(err, ErrNoReply) || !strings.Contains(err.Error(), "silence probe") {
			t.Fatalf("Err() after an unanswered probe = %v, want ErrNoReply about the probe", err)
		}
		p.expectEOF()
	})
}

// TestNoProbeBeforeConnect: the first command of an outbound connection
// must be connect (FreeSWITCH would never answer another), so a connection
// waiting for it is never probed.
func TestNoProbeBeforeConnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := pipeConn(t, ConnOptions{Outbound: true, ProbeAfter: time.Second})
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := pendingReplies(c); n != 0 || c.Err() != nil {
			t.Fatalf("before connect: %d replies awaited, Err() = %v; want no probe", n, c.Err())
		}
	})
}

// TestQueueBoundedByBytes: 40 events of 16 MB on one connection took the
// daemon from 34 MB to 1.26 GB when only their count was bounded; now their
// bytes are, and going over is ErrQueueOverflow.
func TestQueueBoundedByBytes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ev := eventFrame("Event-Name", "CUSTOM", "Unique-ID", testChannelUUID, "_body", strings.Repeat("x", 1000))
		n := len(ev)
		c, p := pipeConn(t, ConnOptions{MaxQueuedBytes: 3 * n})
		p.write(ev, ev, ev)
		synctest.Wait() // the reader has queued them and waits for more
		if events, bytes := c.Queued(); events != 3 || bytes != 3*n {
			t.Errorf("Queued() = %d events, %d bytes; want 3, %d", events, bytes, 3*n)
		}
		nextEvent(t, c)
		if events, bytes := c.Queued(); events != 2 || bytes != 2*n {
			t.Errorf("Queued() after NextEvent = %d events, %d bytes; want 2, %d", events, bytes, 2*n)
		}
		p.write(ev)
		synctest.Wait()
		if c.Err() != nil {
			t.Fatalf("Err() = %v with the queue exactly full, want nil", c.Err())
		}
		_, _ = p.nc.Write([]byte(ev)) // one byte too many: the connection ends
		waitDone(t, c)
		if err := c.Err(); !errors.Is(err, ErrQueueOverflow) || !strings.Contains(err.Error(), "bytes") {
			t.Errorf("Err() = %v, want ErrQueueOverflow about bytes", err)
		}
	})
}

// TestReleaseChannel: after ReleaseChannel the Conn keeps no channel data,
// and still tells its own channel's hangup from another's.
func TestReleaseChannel(t *testing.T) {
	c, p := connected(t, ConnOptions{})
	c.ReleaseChannel()
	if ch := c.Channel(); ch != nil {
		t.Errorf("Channel() after ReleaseChannel = %v, want nil", ch)
	}
	p.write(eventFrame("Event-Name", "CHANNEL_HANGUP", "Unique-ID", otherUUID))
	nextEvent(t, c)
	select {
	case <-c.Hungup():
		t.Fatalf("Hungup closed by another channel's CHANNEL_HANGUP")
	default:
	}
	p.write(eventFrame("Event-Name", "CHANNEL_HANGUP", "Unique-ID", testChannelUUID))
	nextEvent(t, c)
	select {
	case <-c.Hungup():
	default:
		t.Fatalf("Hungup not closed by the channel's own CHANNEL_HANGUP")
	}
}

// TestProbeAfterRepliesKeepsItsTime: the watchdog's timer is left where it
// is at a reply (it fires early and re-arms itself) unless the probe is due
// before it: after an api reply (its deadline two minutes on) the probe
// still goes ProbeAfter after the last frame, and after many quick replies
// it goes ProbeAfter after the last of them, not after the first.
func TestProbeAfterRepliesKeepsItsTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, p := connected(t, ConnOptions{ReplyTimeout: 5 * time.Second, APITimeout: 2 * time.Minute, ProbeAfter: 30 * time.Second})
		r := send(c, t.Context(), "api status")
		p.expect("api status")
		p.write(apiFrame("UP\n"))
		if _, err := r.wait(t); err != nil {
			t.Fatal(err)
		}
		time.Sleep(29 * time.Second)
		synctest.Wait()
		if n := pendingReplies(c); n != 0 {
			t.Fatalf("a probe went out 29s after the api reply (%d replies awaited), want it at 30s", n)
		}
		time.Sleep(2 * time.Second)
		p.expect(probeCommand)
		p.write(replyFrame("-ERR command not found"))

		for i := range 10 {
			time.Sleep(4 * time.Second)
			line := "getvar v" + strconv.Itoa(i)
			r := send(c, t.Context(), line)
			p.expect(line)
			p.write(replyFrame("+OK"))
			if _, err := r.wait(t); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(29 * time.Second)
		synctest.Wait()
		if n := pendingReplies(c); n != 0 {
			t.Fatalf("a probe went out 29s after the last reply (%d replies awaited), want it at 30s", n)
		}
		time.Sleep(2 * time.Second)
		p.expect(probeCommand)
		p.write(replyFrame("-ERR command not found"))
		synctest.Wait()
		if err := c.Err(); err != nil {
			t.Fatalf("Err() = %v, want nil", err)
		}
	})
}
