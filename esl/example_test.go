package esl_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
)

// A Server for FreeSWITCH's socket app. The dialplan says
// <action application="socket" data="127.0.0.1:8084 async full"/>; the
// Server checks the peer, sends connect and hands the call to the Handler,
// which drives it top to bottom.
func ExampleServer() {
	s := &esl.Server{
		ACL: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		Handler: esl.HandlerFunc(func(ctx context.Context, c *esl.Conn) {
			fmt.Println("call from", c.Channel().Get("Caller-Caller-ID-Number"))
			for _, cmd := range []esl.Command{esl.MyEvents(esl.FormatPlain, ""), esl.Linger(30 * time.Second)} {
				if _, err := c.Send(ctx, cmd); err != nil {
					fmt.Println(err)
					return
				}
			}
			if _, err := c.Execute(ctx, "answer", "", esl.ExecuteOptions{}); err != nil {
				fmt.Println(err)
				return
			}
			if _, err := c.Send(ctx, esl.Hangup("", "NORMAL_CLEARING")); err != nil {
				fmt.Println(err)
				return
			}
			// Read on until the linger notice: the hangup's events come first.
			for {
				ev, err := c.NextEvent(ctx)
				if err != nil {
					fmt.Println(err)
					return
				}
				if ev.Name() == esl.EventChannelHangupComplete {
					fmt.Println("hangup cause:", ev.HangupCause())
				}
				if ev.IsLingerNotice() {
					break
				}
			}
			if err := c.Exit(ctx); err != nil {
				fmt.Println(err)
			}
		}),
	}
	l, err := net.Listen("tcp", "127.0.0.1:0") // in production: s.ListenAndServe("127.0.0.1:8084")
	if err != nil {
		fmt.Println(err)
		return
	}
	go s.Serve(l)

	// A scripted stand-in for FreeSWITCH's socket app dials in.
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	fakeFreeSWITCH(nc, false)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		fmt.Println(err)
	}
	// Output:
	// call from 1000
	// hangup cause: NORMAL_CLEARING
}

// Execute waits for the application's own CHANNEL_EXECUTE_COMPLETE, matched
// by Application-UUID, while every event (a DTMF pressed during the
// prompt, too) stays in the NextEvent stream, in order.
func ExampleConn_Execute() {
	ours, theirs := net.Pipe()
	go fakeFreeSWITCH(theirs, false)
	c := esl.NewConn(ours, esl.ConnOptions{Outbound: true})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if _, err := c.Connect(ctx); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := c.Send(ctx, esl.MyEvents(esl.FormatPlain, "")); err != nil {
		fmt.Println(err)
		return
	}
	done, err := c.Execute(ctx, "playback", "/tmp/menu.wav", esl.ExecuteOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("playback:", done.AppResponse())
	for range 3 {
		ev, err := c.NextEvent(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(strings.TrimSpace(ev.Name() + " " + ev.DTMFDigit()))
	}
	// Output:
	// playback: FILE PLAYED
	// CHANNEL_EXECUTE
	// DTMF #
	// CHANNEL_EXECUTE_COMPLETE
}

// Dial is the inbound client: it connects to port 8021 and authenticates.
func ExampleDial() {
	l, err := net.Listen("tcp", "127.0.0.1:0") // a stand-in for FreeSWITCH's 127.0.0.1:8021
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	go func() {
		if nc, err := l.Accept(); err == nil {
			fakeFreeSWITCH(nc, true)
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := esl.Dial(ctx, l.Addr().String(), "ClueCon", esl.ConnOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	status, err := c.API(ctx, "status")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(status)
	if err := c.Exit(ctx); err != nil {
		fmt.Println(err)
	}
	// Output:
	// UP 0 years, 0 days, 0 hours, 0 minutes, 47 seconds
}

// fakeFreeSWITCH answers one connection the way FreeSWITCH would, just
// enough for the examples (the real simulator is package esltest). It
// returns when the connection ends.
func fakeFreeSWITCH(nc net.Conn, inbound bool) {
	defer nc.Close()
	const uuid = "4192e98c-e569-11e7-b747-73bec77e82ec"
	write := func(frames ...string) { io.WriteString(nc, strings.Join(frames, "")) }
	event := func(kv ...string) string {
		var b strings.Builder
		kv = append([]string{"Unique-ID", uuid}, kv...)
		for i := 0; i+1 < len(kv); i += 2 {
			fmt.Fprintf(&b, "%s: %s\n", kv[i], esl.URLEncode(kv[i+1]))
		}
		b.WriteString("\n")
		return fmt.Sprintf("Content-Length: %d\nContent-Type: text/event-plain\n\n%s", b.Len(), b.String())
	}
	reply := func(text string) string { return "Content-Type: command/reply\nReply-Text: " + text + "\n\n" }
	const bye = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
	notice := func(disposition string) string {
		body := ""
		if disposition != "linger" {
			body = bye
		}
		return fmt.Sprintf("Content-Type: text/disconnect-notice\nControlled-Session-UUID: %s\nContent-Disposition: %s\nContent-Length: %d\n\n%s",
			uuid, disposition, len(body), body)
	}

	if inbound {
		write("Content-Type: auth/request\n\n")
	}
	r := esl.NewReader(nc, esl.Limits{})
	for {
		cmd, _, err := r.ReadCommand()
		if err != nil {
			return
		}
		word, _, _ := strings.Cut(cmd.Line, " ")
		switch word {
		case "auth":
			write(reply("+OK accepted"))
		case "connect":
			write("Event-Name: CHANNEL_DATA\nUnique-ID: " + uuid + "\nCaller-Caller-ID-Number: 1000\n" +
				"Content-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n")
		case "myevents":
			write(reply("+OK Events Enabled"))
		case "linger":
			write(reply("+OK will linger 30 seconds"))
		case "api":
			body := "UP 0 years, 0 days, 0 hours, 0 minutes, 47 seconds\n"
			write(fmt.Sprintf("Content-Type: api/response\nContent-Length: %d\n\n%s", len(body), body))
		case "sendmsg":
			write(reply("+OK"))
			if cmd.Headers.Get("call-command") == "hangup" {
				write(event("Event-Name", "CHANNEL_HANGUP", "Hangup-Cause", "NORMAL_CLEARING"),
					event("Event-Name", "CHANNEL_HANGUP_COMPLETE", "Hangup-Cause", "NORMAL_CLEARING"),
					notice("linger"))
				continue
			}
			app, id := cmd.Headers.Get("execute-app-name"), cmd.Headers.Get("event-uuid")
			response := "_none_"
			write(event("Event-Name", "CHANNEL_EXECUTE", "Application", app, "Application-UUID", id))
			if app == "playback" {
				response = "FILE PLAYED"
				write(event("Event-Name", "DTMF", "DTMF-Digit", "#"))
			}
			write(event("Event-Name", "CHANNEL_EXECUTE_COMPLETE", "Application", app,
				"Application-Response", response, "Application-UUID", id))
		case "exit":
			write(reply("+OK bye"), notice("disconnect"))
			return
		default:
			write(reply("-ERR command not found"))
		}
	}
}
