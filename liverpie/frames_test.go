package liverpie_test

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
)

// lpPeer is a bare FreeSWITCH side of an outbound socket, written by hand
// so that a test decides exactly which bytes go out in one write.
type lpPeer struct {
	t  *testing.T
	nc net.Conn
	r  *esl.Reader
}

const lpPeerUUID = "5e7b1b7c-1c1f-4f61-9a37-6d1b4a0f2c11"

func dialLPPeer(t *testing.T, addr string) *lpPeer {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	// A failure guard only: every read below waits for a command the
	// proxy sends at once.
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	return &lpPeer{t: t, nc: nc, r: esl.NewReader(nc, esl.Limits{})}
}

// expect reads the proxy's next command and checks its first word.
func (p *lpPeer) expect(word string) esl.Command {
	p.t.Helper()
	cmd, _, err := p.r.ReadCommand()
	if err != nil {
		p.t.Fatalf("read command (want %s): %v", word, err)
	}
	if w, _, _ := strings.Cut(cmd.Line, " "); w != word {
		p.t.Fatalf("command = %q, want %s", cmd.Line, word)
	}
	return cmd
}

// write sends frames in a single write, so the proxy reads them together.
func (p *lpPeer) write(frames ...*esl.Frame) {
	p.t.Helper()
	var b []byte
	for _, f := range frames {
		b = append(b, f.Encode()...)
	}
	if _, err := p.nc.Write(b); err != nil {
		p.t.Fatalf("write: %v", err)
	}
}

func lpReply(text string) *esl.Frame {
	return &esl.Frame{Headers: esl.Headers{{Name: "Content-Type", Value: "command/reply"}, {Name: "Reply-Text", Value: text}}}
}

// lpEvent is a text/event-plain frame; values are given already
// URL-encoded, as FreeSWITCH writes them.
func lpEvent(kv ...string) *esl.Frame {
	var body strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		body.WriteString(kv[i] + ": " + kv[i+1] + "\n")
	}
	body.WriteString("\n")
	return &esl.Frame{
		Headers: esl.Headers{{Name: "Content-Length", Value: strconv.Itoa(body.Len())}, {Name: "Content-Type", Value: "text/event-plain"}},
		Body:    []byte(body.String()),
	}
}

// TestLiverpieTwoFramesInOneRead: a command's reply and a DTMF event that
// arrive in one TCP segment are two frames. Liverpie hashed whatever one
// read brought as a single frame (content_type text/event-plain, the last
// one), so the reply its app waited for never came; here the reply fires
// the next step and the event its DTMF request.
func TestLiverpieTwoFramesInOneRead(t *testing.T) {
	w := newLPWebapp(t, func(step int, r lpRequest) (int, string) {
		switch step {
		case 0:
			return 200, lpAnswer // waits for content_type: command/reply
		case 1:
			return 200, "msg: \"sendmsg\\ncall-command: hangup\\nhangup-cause: NORMAL_CLEARING\"\nexpected_key: event_name\nexpected_value: NEVER\n"
		}
		return 500, ""
	}, func(lpRequest) string { return "" })
	h := startLiverpie(t, nil, lpApp(t, w))
	p := dialLPPeer(t, h.Addr)

	p.expect("connect")
	p.write(&esl.Frame{Headers: esl.Headers{
		{Name: "Event-Name", Value: "CHANNEL_DATA"},
		{Name: "Unique-ID", Value: lpPeerUUID},
		{Name: "Caller-Caller-ID-Number", Value: "1000"},
		{Name: "Caller-Destination-Number", Value: "7000"},
		{Name: "variable_liverpie_webapp_id", Value: "ivr"},
		{Name: "Content-Type", Value: "command/reply"},
		{Name: "Reply-Text", Value: "%2BOK%0A"},
		{Name: "Socket-Mode", Value: "async"},
		{Name: "Control", Value: "full"},
	}})
	p.expect("linger")
	p.write(lpReply("+OK will linger 5 seconds"))
	p.expect("myevents")
	p.write(lpReply("+OK Events Enabled"))
	if cmd := p.expect("sendmsg"); cmd.Headers.Get("execute-app-name") != "answer" {
		t.Fatalf("first sendmsg = %+v, want answer", cmd)
	}
	// The reply and a DTMF event in one write.
	p.write(lpReply("+OK"), lpEvent("Event-Name", "DTMF", "Unique-ID", lpPeerUUID, "DTMF-Digit", "5"))
	if cmd := p.expect("sendmsg"); cmd.Headers.Get("call-command") != "hangup" {
		t.Fatalf("second sendmsg = %+v, want the hangup of step 1", cmd)
	}
	p.write(lpReply("+OK"))
	// The caller hangs up once the DTMF request is made: a request still
	// to come when the channel is gone would be cancelled.
	for w.next(t).Path != "/ivr/dtmf" {
	}
	p.write(lpEvent("Event-Name", "CHANNEL_HANGUP", "Unique-ID", lpPeerUUID, "Hangup-Cause", "NORMAL_CLEARING"),
		lpEvent("Event-Name", "CHANNEL_HANGUP_COMPLETE", "Unique-ID", lpPeerUUID, "Hangup-Cause", "NORMAL_CLEARING"))
	p.expect("exit")
	p.write(lpReply("+OK bye"))
	p.nc.Close()
	h.Idle()

	reqs := w.requests()
	var paths []string
	for _, r := range reqs {
		paths = append(paths, r.Path)
	}
	want := []string{"/ivr/reset", "/ivr/state_machine", "/ivr/state_machine", "/ivr/dtmf", "/ivr/hangup"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Fatalf("requests = %q, want %q", paths, want)
	}
	formWant(t, "step 1", reqs[2], map[string]string{"content_type": "command/reply", "reply_text": "+OK"})
	if _, ok := reqs[2].Form["dtmf_digit"]; ok {
		t.Errorf("step 1 form has dtmf_digit: the reply and the event were merged into one frame")
	}
	if reqs[3].Body != "dtmf_code=5" {
		t.Errorf("dtmf body = %q, want dtmf_code=5", reqs[3].Body)
	}
	formWant(t, "hangup", reqs[4], map[string]string{
		"dtmf_digit": "5", "callhook_outcome": "hangup", "callhook_hangup_cause": "NORMAL_CLEARING",
	})
}
