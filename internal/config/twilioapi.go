package config

// The twilio_api key: Twilio's Calls API (placing calls the Twilio way)
// on a listener of its own.
//
//	twilio_api:
//	  listen: 0.0.0.0:8443
//	  tls: {cert: /etc/callhook/api.crt, key: /etc/callhook/api.key}
//
// Twilio's clients speak HTTPS, and basic auth sends the auth token with
// every request: without tls the listener must be on loopback (behind a
// TLS proxy on the same host), and a config that says otherwise is
// refused rather than served in the clear.

import (
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// MinAPIAuthToken is the shortest auth_token of a twiml app when the
// config has twilio_api: the token is then a password that anyone who
// reaches the listener may guess at (the API throttles failed logins, per
// client), not only the key of the signatures callhook sends.
const MinAPIAuthToken = 16

// TwilioAPI is the twilio_api key; nil when the config has none.
type TwilioAPI struct {
	Listen string // host:port
	// CertFile and KeyFile are tls.cert and tls.key, relative paths
	// resolved against the config file's folder; both "" serve plain
	// HTTP, on loopback only.
	CertFile, KeyFile string
	Line              int
}

// twilioAPI decodes the twilio_api key; c's listen, admin, apps and boxes
// must be decoded already.
func (d *decoder) twilioAPI(n *yaml.Node, path string, c *Config) *TwilioAPI {
	f := d.mapping(n, path, []string{"listen", "tls"})
	if f == nil {
		return nil
	}
	t := &TwilioAPI{Line: n.Line}
	if v := f.get("listen"); v != nil {
		t.Listen = d.hostPort(v, join(path, "listen"))
		if t.Listen == c.Listen || t.Listen == c.Admin {
			d.errorf(v, join(path, "listen"), "%s is callhook's listen or admin address already", t.Listen)
		}
	} else {
		d.errorf(n, join(path, "listen"), "required (host:port, such as 127.0.0.1:8443)")
	}
	if v := f.get("tls"); v != nil {
		p := join(path, "tls")
		tf := d.mapping(v, p, []string{"cert", "key"})
		for _, x := range []struct {
			key string
			dst *string
		}{{"cert", &t.CertFile}, {"key", &t.KeyFile}} {
			kn := tf.get(x.key)
			if kn == nil {
				d.errorf(v, join(p, x.key), "required: a PEM file")
				continue
			}
			if s, ok := d.text(kn, join(p, x.key), true); ok {
				if !filepath.IsAbs(s) {
					s = filepath.Join(filepath.Dir(d.file), s)
				}
				*x.dst = s
			}
		}
	} else if t.Listen != "" && !onLoopback(t.Listen) {
		d.errorf(n, join(path, "tls"), "required when listen (%s) is not on loopback: Twilio's clients send the auth token with every request, and speak HTTPS", t.Listen)
	}
	if len(c.Boxes) == 0 {
		d.errorf(n, path, "places calls on the boxes, and the config has none")
	}
	// One app per account: the API finds the app by the AccountSid its
	// client authenticates with.
	bySID := map[string]string{}
	for _, a := range c.Apps {
		if a.TwiML == nil || a.TwiML.AccountSID == "" {
			continue
		}
		if other, dup := bySID[a.TwiML.AccountSID]; dup {
			d.errorf(n, path, "apps %s and %s have the same account_sid: the API finds an app by its AccountSid", other, a.Name)
		}
		if l := len(a.TwiML.AuthToken); l > 0 && l < MinAPIAuthToken {
			// Said without the token, which the error must not show.
			d.errorf(n, path, "app %s's auth_token has %d characters: the API authenticates its clients with it, over the network, and wants at least %d (Twilio's are 32 hex digits)", a.Name, l, MinAPIAuthToken)
		}
		bySID[a.TwiML.AccountSID] = a.Name
	}
	if len(bySID) == 0 {
		d.errorf(n, path, "no twiml app (with an account_sid) to authenticate requests with")
	}
	return t
}
