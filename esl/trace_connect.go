package esl

import "io"

// TraceCall starts tracing the connection's frames to w, as SetTrace does,
// and first writes the connect exchange that came before: the connect
// command and the channel data reply (rebuilt from Channel(), header for
// header with their values as FreeSWITCH encoded them). A session that
// turns tracing on once it has read the channel data (a dialplan variable
// asked for it) so still gets a whole call's trace. The two records are
// stamped when they are written, not when connect ran.
func (c *Conn) TraceCall(w io.Writer) {
	c.SetTrace(w)
	if w == nil {
		return
	}
	ch := c.Channel()
	if ch == nil {
		return
	}
	if b, err := Connect().Encode(); err == nil {
		c.trace("C>", b)
	}
	all := ch.AllHeaders() // the channel data is a lazy event by default
	f := &Frame{Headers: make(Headers, len(all)), Body: ch.Body}
	for i, h := range all {
		f.Headers[i] = Header{Name: h.Name, Value: h.Raw}
	}
	c.trace("F>", f.Encode())
}
