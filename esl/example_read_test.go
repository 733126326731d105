package esl_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/callhook/callhook/esl"
)

func ExampleReader_ReadFrame() {
	stream := "Content-Type: command/reply\nReply-Text: +OK\n\n" +
		"Content-Length: 34\nContent-Type: text/event-plain\n\n" +
		"Event-Name: DTMF\nDTMF-Digit: %23\n\n" +
		"Content-Type: text/disconnect-notice\nContent-Length: 0\n\n"
	r := esl.NewReader(strings.NewReader(stream), esl.Limits{})
	for {
		f, n, err := r.ReadFrame()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Println(f.ContentType(), n, "bytes")
	}
	// Output:
	// command/reply 45 bytes
	// text/event-plain 85 bytes
	// text/disconnect-notice 56 bytes
}

func ExampleParseEvent() {
	body := "Event-Name: DTMF\nDTMF-Digit: %23\nDTMF-Duration: 2000\n\n"
	f := &esl.Frame{
		Headers: esl.Headers{{Name: "Content-Length", Value: fmt.Sprint(len(body))}, {Name: "Content-Type", Value: esl.TypeEventPlain}},
		Body:    []byte(body),
	}
	e, err := esl.ParseEvent(f)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(e.Name(), e.DTMFDigit(), e.GetRaw("DTMF-Digit"))
	// Output: DTMF # %23
}

func ExampleParseCommand() {
	c, err := esl.ParseCommand([]byte("sendmsg\ncall-command: execute\nexecute-app-name: playback\ncontent-length: 13\n\n/tmp/beep.wav"))
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Printf("%s %s=%s body=%q\n", c.Line, c.Headers[1].Name, c.Headers[1].Value, c.Body)
	// Output: sendmsg execute-app-name=playback body="/tmp/beep.wav"
}

func ExampleURLEncode() {
	fmt.Println(esl.URLEncode("+OK\n"), esl.URLEncode("1000@192.0.2.10"), esl.URLEncode("100%41"))
	fmt.Println(esl.URLDecode("%2BOK%0A") == "+OK\n", esl.URLDecode("a+b%zz"))
	// Output:
	// %2BOK%0A 1000%40192.0.2.10 100%41
	// true a+b%zz
}
