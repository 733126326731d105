package esl

import "time"

// Command is one command to FreeSWITCH: a command line, headers and an
// optional body. It is an immutable value; constructors build it and
// Encode validates it, so a value holding CR or LF can never become an extra
// header or command.
type Command struct {
	Line    string
	Headers Headers
	Body    []byte
}

// Format is an event serialisation FreeSWITCH can use.
type Format string

const (
	FormatPlain Format = "plain"
	FormatJSON  Format = "json"
	FormatXML   Format = "xml"
)

// ExecuteOptions are the optional parts of a sendmsg execute.
type ExecuteOptions struct {
	UUID      string // target channel; "" means the controlled channel (outbound)
	EventUUID string // comes back as Application-UUID; "" means none is sent
	Loops     int    // 0 or 1 means once; <0 forever
	EventLock bool   // event-lock: true (serialises queued executes)
	Async     bool   // async: true
}

// UnicastOptions are the headers of a sendmsg unicast; empty fields are left
// to FreeSWITCH's defaults.
type UnicastOptions struct {
	LocalIP, LocalPort, RemoteIP, RemotePort, Transport, Flags string
}

// Encode returns the command's exact wire bytes, or an error when a part of
// it cannot be sent safely (CR/LF outside the body, an empty line).
func (c Command) Encode() ([]byte, error) { panic("esl: Command.Encode not implemented yet") }

// Constructors for every command of the mod_event_socket documentation.
func Connect() Command                                      { panic("unimplemented") }
func Auth(password string) Command                          { panic("unimplemented") }
func UserAuth(user, password string) Command                { panic("unimplemented") }
func API(command string) Command                            { panic("unimplemented") }
func BgAPI(command, jobUUID string) Command                 { panic("unimplemented") }
func Linger(d time.Duration) Command                        { panic("unimplemented") }
func LingerForever() Command                                { panic("unimplemented") }
func NoLinger() Command                                     { panic("unimplemented") }
func Events(f Format, names ...string) Command              { panic("unimplemented") }
func MyEvents(f Format, uuid string) Command                { panic("unimplemented") }
func DivertEvents(on bool) Command                          { panic("unimplemented") }
func Filter(header, value string) Command                   { panic("unimplemented") }
func FilterDelete(header, value string) Command             { panic("unimplemented") }
func FilterDeleteAll() Command                              { panic("unimplemented") }
func SendEvent(name string, h Headers, body []byte) Command { panic("unimplemented") }
func SendMsg(uuid string, h Headers, body []byte) Command   { panic("unimplemented") }
func Execute(app, arg string, o ExecuteOptions) Command     { panic("unimplemented") }
func Hangup(uuid, cause string) Command                     { panic("unimplemented") }
func Unicast(uuid string, o UnicastOptions) Command         { panic("unimplemented") }
func NoMedia(uuid, nomediaUUID string) Command              { panic("unimplemented") }
func Exit() Command                                         { panic("unimplemented") }
func Log(level string) Command                              { panic("unimplemented") }
func NoLog() Command                                        { panic("unimplemented") }
func NixEvent(names ...string) Command                      { panic("unimplemented") }
func NoEvents() Command                                     { panic("unimplemented") }
func Resume() Command                                       { panic("unimplemented") }
func GetVar(name string) Command                            { panic("unimplemented") }
