package twiml

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// parseReply reads a reply as Twilio does, by its MIME type
// (https://www.twilio.com/docs/voice/twiml/your-response): text/plain is
// said, and the call then hangs up, as a document of one Say; audio,
// which Twilio plays, is unsupported (callhook has the switch play URLs,
// and this is a body); anything else (text/xml, application/xml,
// text/html, or no type) is a TwiML document. So is text/plain that
// starts with "<": a server that sets no type sniffs one (Go's
// http.DetectContentType calls <Response> text/plain), and markup read
// aloud would help no caller.
func parseReply(r *reply, lim Limits) (*Node, error) {
	switch {
	case r.mime == "text/plain" && !markup(r.body):
		return plainText(r.body)
	case strings.HasPrefix(r.mime, "audio/"):
		return nil, &Unsupported{Line: 1, What: fmt.Sprintf("an audio reply (Content-Type %s): answer with a <Play> of its URL", r.mime)}
	}
	return Parse(r.body, lim)
}

// plainText is a text/plain reply as the document Twilio makes of it: a
// Say of the text (one that fits a Say of a document: maxTextBytes).
func plainText(body []byte) (*Node, error) {
	if !utf8.Valid(body) {
		return nil, &ParseError{Msg: "text/plain reply is not UTF-8", Malformed: true}
	}
	text := strings.TrimSpace(string(body))
	switch {
	case text == "":
		return nil, &ParseError{Msg: "empty text/plain reply: nothing to say"}
	case len(text) > maxTextBytes:
		return nil, &ParseError{Msg: fmt.Sprintf("text/plain reply over %d bytes", maxTextBytes)}
	}
	return &Node{Name: "Response", Line: 1, Children: []*Node{{Name: "Say", Line: 1, Text: text}}}, nil
}

// markup says body starts (after white space and a byte order mark) with
// "<".
func markup(body []byte) bool {
	b := bytes.TrimPrefix(bytes.TrimSpace(body), []byte("\xEF\xBB\xBF"))
	return len(b) > 0 && b[0] == '<'
}
