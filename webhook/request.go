package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/recordings/delivery"
	"github.com/callhook/callhook/verb"
)

// message is the body of a webhook request, field for field as README.md
// ("Webhook apps: the protocol") lists them. The form encoding is derived from its JSON form, so both formats
// always carry the same fields.
type message struct {
	CallID string            `json:"call_id"`
	Seq    int               `json:"seq"`
	App    string            `json:"app"`
	Event  string            `json:"event"`
	Call   callInfo          `json:"call"`
	Vars   map[string]string `json:"vars,omitempty"`
	Result *verb.Result      `json:"result,omitempty"`
	// Session is the app's data exactly as its last reply set it, kept
	// encoded; absent until a reply sets it.
	Session json.RawMessage `json:"session,omitempty"`
	Error   *errorInfo      `json:"error,omitempty"`
	// call.end only: hangup for a call that hung up, held_ms (connect to
	// exit) for a transferred one, which has not.
	Hangup     *hangupInfo  `json:"hangup,omitempty"`
	HeldMS     *int64       `json:"held_ms,omitempty"`
	Outcome    string       `json:"outcome,omitempty"`
	LastResult *verb.Result `json:"last_result,omitempty"`
	// recording.status, and call.end when a whole-call recording ended
	// with the call.
	Recording *delivery.Status `json:"recording,omitempty"`
}

// callInfo is the body's call field.
type callInfo struct {
	From      string `json:"from"`
	FromName  string `json:"from_name"`
	To        string `json:"to"`
	Direction string `json:"direction"`
	Answered  bool   `json:"answered"`
	Channel   string `json:"channel"`
	StartedAt string `json:"started_at,omitempty"` // RFC 3339, UTC
}

// errorInfo is the error field of a fallback request: what failed.
type errorInfo struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	URL     string `json:"url"`
}

// hangupInfo is the hangup field of call.end.
type hangupInfo struct {
	Cause    string `json:"cause"`
	Duration int64  `json:"duration"`
	Billsec  int64  `json:"billsec"`
}

// message builds the body of the call's next request, counting it: seq
// numbers requests, not attempts (a retry or the fallback resends the same
// message).
func (d *dialog) message(event string) *message {
	c := d.call
	d.seq++
	m := &message{
		CallID:  c.ID,
		Seq:     d.seq,
		App:     d.app.Name,
		Event:   event,
		Session: d.session,
		Call: callInfo{
			From:      c.From,
			FromName:  c.FromName,
			To:        c.To,
			Direction: c.Direction,
			Answered:  c.Answered,
			Channel:   c.ChannelName,
		},
	}
	m.Call.StartedAt = d.startedAt
	for _, name := range d.app.Vars {
		if v, ok := c.Var(name); ok {
			if m.Vars == nil {
				m.Vars = make(map[string]string, len(d.app.Vars))
			}
			m.Vars[name] = v
		}
	}
	return m
}

// errorField describes err for the fallback: its code, a message
// and the URL that failed.
func errorField(err error, failedURL string) *errorInfo {
	f := &errorInfo{Code: apphttp.CodeConnect, Message: err.Error(), URL: failedURL}
	if be, ok := errors.AsType[*apphttp.RequestError](err); ok {
		f.Code, f.URL = be.Code, be.URL
		if be.Err != nil {
			f.Message = be.Err.Error()
		}
	}
	return f
}

// Content types of request bodies.
const (
	jsonType = "application/json"
	formType = "application/x-www-form-urlencoded"
)

// The values of a request's fixed headers, shared by every request: a
// header's values are only read once set (net/http copies the map of the
// request it follows a redirect with, and adds a cookie by replacing the
// Cookie header's values), so one slice serves them all.
var (
	jsonTypeValues = []string{jsonType}
	formTypeValues = []string{formType}
	acceptValues   = []string{"application/yaml, application/json;q=0.9, text/yaml;q=0.9, */*;q=0.1"}
)

// encode returns the request body in the app's format, and its
// Content-Type header's values.
func (d *dialog) encode(m *message) ([]byte, []string, error) {
	data, ok := appendMessage(make([]byte, 0, 512), m) // json.Marshal's bytes (request_json.go)
	if !ok {
		var err error
		data, err = json.Marshal(m)
		if err != nil {
			return nil, nil, fmt.Errorf("encode %s request: %w", m.Event, err)
		}
	}
	if !d.app.Form {
		return data, jsonTypeValues, nil
	}
	form, err := flatten(data)
	if err != nil {
		return nil, nil, fmt.Errorf("encode %s request as a form: %w", m.Event, err)
	}
	if len(m.Session) > 0 && string(m.Session) != "null" {
		form.Set("session", string(m.Session))
	}
	return []byte(form.Encode()), formTypeValues, nil
}

// flatten turns a JSON object into form values with dotted keys
// (call.from, result.recording.path) and string values: numbers as JSON
// wrote them, booleans as true/false, list items by index (a.0, a.1); nulls
// are left out. The top-level session is left out too: it travels whole,
// as one JSON string.
func flatten(data []byte) (url.Values, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var top map[string]any
	if err := dec.Decode(&top); err != nil {
		return nil, err
	}
	delete(top, "session")
	form := url.Values{}
	flattenInto(form, "", top)
	return form, nil
}

func flattenInto(form url.Values, key string, v any) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			flattenInto(form, joinKey(key, k), x[k])
		}
	case []any:
		for i, e := range x {
			flattenInto(form, joinKey(key, strconv.Itoa(i)), e)
		}
	case nil:
	case string:
		form.Set(key, x)
	case json.Number:
		form.Set(key, x.String())
	case bool:
		form.Set(key, strconv.FormatBool(x))
	default:
		form.Set(key, fmt.Sprint(x))
	}
}

func joinKey(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// setHeaders sets the headers of one attempt. The signature is made afresh
// for each attempt, with the current time, so a retry is not mistaken for
// a replay; the seq stays that of the request. h is the attempt's new
// request's empty map; the keys are written in canonical form, as
// h.Set would (TestSetHeadersAsSet), without a slice per value:
// the fixed values are shared (jsonTypeValues, the dialog's fixed), the
// attempt's own share one slice.
func (d *dialog) setHeaders(h http.Header, body []byte, ctype []string, seq int) {
	h["Content-Type"] = ctype
	h["Accept"] = acceptValues
	h["User-Agent"] = d.fixed[0:1:1]
	h[apphttp.CallIDHeader] = d.fixed[1:2:2] // also what the admin API refuses
	own := make([]string, 1, 2)
	own[0] = strconv.Itoa(seq)
	h["X-Callhook-Seq"] = own[0:1:1]
	if d.app.Secret != "" {
		own = append(own, d.app.signer().Sign(d.app.clock().Unix(), body))
		h["X-Callhook-Signature"] = own[1:2:2]
	}
}

// sessionJSON encodes a reply's session once, when it arrives, so
// that a session JSON cannot carry (YAML maps with non-string keys, NaN)
// makes that reply invalid instead of breaking every later request.
func sessionJSON(v any) (json.RawMessage, error) {
	if data, ok := appendSession(make([]byte, 0, 64), v, 0); ok {
		return data, nil // json.Marshal's bytes, without its reflection (request_json.go)
	}
	data, err := json.Marshal(jsonValue(v))
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return data, nil
}

// jsonValue rewrites the maps YAML decodes with non-string keys
// (map[any]any) as JSON objects, keys printed as YAML wrote them.
func jsonValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = jsonValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	default:
		return v
	}
}

// replyShown is how much of a reply observers see.
const replyShown = 200
