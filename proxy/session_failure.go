package proxy

import (
	"errors"

	"github.com/callhook/callhook/esl"
)

// connFailure returns why the call's connection to FreeSWITCH failed, or
// nil while it is up or when it ended the normal way: closed by callhook
// (exit), after FreeSWITCH's final disconnect notice, or dropped by
// FreeSWITCH once the channel had hung up. A connection that failed (no
// reply in time, a protocol error, a queue overflow, a write error, or
// FreeSWITCH gone while the call was up) makes the call end as failed,
// never as an ordinary hangup.
func (s *session) connFailure() error {
	err := s.conn.Err()
	switch {
	case err == nil, errors.Is(err, esl.ErrClosed), err == esl.ErrDisconnected:
		return nil
	case errors.Is(err, esl.ErrDisconnected) && (s.hangupComplete != nil || s.conn.HangupEvent() != nil):
		return nil
	}
	return err
}
