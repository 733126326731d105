package verb

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Every string a web app or flow puts into a verb ends up inside an ESL
// command and then inside a FreeSWITCH application's argument. The checks
// here keep it from becoming anything else:
//
//   - CR or LF would end the header line, so they are refused everywhere
//     but in speak text, which esl sends as a body; NUL would cut a body
//     short, so it is refused everywhere;
//   - "${" makes FreeSWITCH expand the argument before the application sees
//     it, and its expansion runs API commands (${system(...)}), so it is
//     refused everywhere: no web-app text may run FreeSWITCH API commands;
//   - each application splits its argument its own way; fsArg escapes
//     values for the space-separated ones, and per-verb checks refuse the
//     separators of the others (bridge's '|' and ',', caller id braces).

// templateSpan is a flow template such as {{call.from}} or {{vars.x-y}}.
// With ParseOptions.Templates (flows only) a verb is validated before its
// templates are filled in, each span standing for a harmless placeholder
// (checkSpec); MapText validates again after filling them in. Webhook
// replies are checked literally, so a span's braces are refused wherever
// braces would mean something to FreeSWITCH.
var templateSpan = regexp.MustCompile(`\{\{ *[A-Za-z_][A-Za-z0-9_.-]* *\}\}`)

// untemplate replaces every template span with "0", a value every text
// check accepts, so that only the literal parts of s are checked.
func untemplate(s string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	return templateSpan.ReplaceAllLiteralString(s, "0")
}

// checkLine checks a single-line text value.
func checkLine(s string) error {
	if strings.ContainsAny(s, "\r\n") {
		return errors.New("contains a line break (CR or LF), which is not allowed here")
	}
	return checkMultiline(s)
}

// checkMultiline checks text that may span lines (speak text, sent as a body).
func checkMultiline(s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("contains a NUL byte")
	}
	if strings.Contains(s, "${") {
		return fmt.Errorf(`contains "${": FreeSWITCH would expand it (channel variables and API calls)`)
	}
	return nil
}

// checkToken checks one argument of a space-separated application argument
// (play_and_get_digits, record, transfer, say): a non-empty single line.
// Spaces and quotes are fine: fsArg escapes them.
func checkToken(s string) error {
	if s == "" {
		return fmt.Errorf("must not be empty")
	}
	return checkLine(s)
}

// checkFirstToken is checkToken for the first argument of an application's
// data: FreeSWITCH's splitter reads a leading "^^X" as "use X as the
// separator", and the application runner a leading "%[" as variables,
// which no escaping can prevent.
func checkFirstToken(s string) error {
	if strings.HasPrefix(s, "^^") {
		return fmt.Errorf(`must not start with "^^" (FreeSWITCH reads it as a separator change)`)
	}
	if strings.HasPrefix(s, "%") {
		// src/switch_core_session.c reads a leading %[...] or %X[...] of
		// any application's argument as variables to set for its run.
		return fmt.Errorf(`must not start with "%%" (FreeSWITCH reads "%%[...]" as variables to set)`)
	}
	return checkToken(s)
}

// fsArg escapes s so that FreeSWITCH's switch_separate_string(data, ' ', ...)
// yields it as one argument, unchanged: that splitter cuts at spaces, pairs
// single quotes, and decodes \s \t \n \r \' \" \\ (switch_utils.c,
// cleanup_separated_string). A backslash before any other character is kept
// as is, so the common regex "\d+" passes through untouched.
func fsArg(s string) string {
	if !strings.ContainsAny(s, " \t'\\") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ':
			b.WriteString(`\s`)
		case '\t':
			b.WriteString(`\t`)
		case '\'':
			b.WriteString(`\'`)
		case '\\':
			if i+1 == len(s) || strings.IndexByte("\\'\"nrts \t", s[i+1]) >= 0 {
				b.WriteString(`\\`)
			} else {
				b.WriteByte('\\')
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// CheckName checks a FreeSWITCH identifier (a variable, context, conference
// or profile name, a TTS engine or voice): letters, digits and _ . -
// (extra lists further allowed characters).
func CheckName(s, extra string) error {
	if s == "" {
		return fmt.Errorf("must not be empty")
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.-"+extra, r)) {
			return fmt.Errorf("%q has %q; use letters, digits and %s", s, r, quoteChars("_.-"+extra))
		}
	}
	return nil
}

func quoteChars(cs string) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		parts = append(parts, string(c))
	}
	return strings.Join(parts, " ")
}
