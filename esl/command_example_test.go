package esl_test

import (
	"errors"
	"fmt"

	"github.com/callhook/callhook/esl"
)

// Execute builds the sendmsg that runs one dialplan application. With
// EventLock and an EventUUID, as callhook sends every verb, queued apps run
// one after another and the CHANNEL_EXECUTE_COMPLETE carrying
// Application-UUID: <EventUUID> says this one is done.
func ExampleExecute() {
	c := esl.Execute("playback", "/tmp/hello world.wav", esl.ExecuteOptions{
		EventUUID: "a6f0c2d4-1b2c-4d5e-8f90-123456789abc",
		EventLock: true,
	})
	b, err := c.Encode()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s", b)

	// An argument with a line break travels in a body instead.
	b, _ = esl.Execute("set", "note=line one\nline two", esl.ExecuteOptions{}).Encode()
	fmt.Printf("%q\n", b)
	// Output:
	// sendmsg
	// call-command: execute
	// execute-app-name: playback
	// execute-app-arg: /tmp/hello world.wav
	// event-lock: true
	// Event-UUID: a6f0c2d4-1b2c-4d5e-8f90-123456789abc
	//
	// "sendmsg\ncall-command: execute\nexecute-app-name: set\ncontent-type: text/plain\ncontent-length: 22\n\nnote=line one\nline two"
}

// Encode refuses a value that would end its line early, so data from a web
// app can never smuggle in a header or a second command.
func ExampleCommand_Encode() {
	b, err := esl.API("status").Encode()
	fmt.Printf("%q %v\n", b, err)

	_, err = esl.Hangup("", "NORMAL_CLEARING\n\napi shutdown").Encode()
	var ce *esl.CommandError
	fmt.Println(errors.As(err, &ce), err)
	// Output:
	// "api status\n\n" <nil>
	// true esl: invalid command "sendmsg": header "hangup-cause" value contains LF
}
