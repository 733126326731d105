package esl

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// Dial connects to FreeSWITCH's inbound event socket (port 8021) and
// authenticates; a refused password is ErrAuth.
//
// FreeSWITCH speaks first with auth/request; Dial answers "auth password"
// and returns the Conn once "+OK accepted" arrives. ctx bounds the whole
// handshake, not the Conn's life. o.Outbound is ignored.
func Dial(ctx context.Context, addr, password string, o ConnOptions) (*Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("esl: dial %s: %w", addr, err)
	}
	o.Outbound = false
	c := NewConn(nc, o)
	if err := c.authenticate(ctx, password); err != nil {
		c.Close()
		<-c.Done()
		return nil, fmt.Errorf("esl: dial %s: %w", addr, err)
	}
	return c, nil
}

// authenticate waits for auth/request and sends the password.
func (c *Conn) authenticate(ctx context.Context, password string) error {
	select {
	case <-c.authReq:
	case <-c.done:
		return fmt.Errorf("waiting for auth/request: %w", c.Err())
	case <-ctx.Done():
		return fmt.Errorf("waiting for auth/request: %w", ctx.Err())
	}
	f, err := c.Send(ctx, Auth(password))
	var re *ReplyError
	switch {
	case errors.As(err, &re):
		return fmt.Errorf("%w: FreeSWITCH refused the password (%s)", ErrAuth, re.Text)
	case err != nil:
		return fmt.Errorf("auth: %w", err)
	case !isReplyText(f, "+OK"):
		return fmt.Errorf("%w: unexpected auth reply %q", ErrAuth, f.ReplyText())
	}
	return nil
}
