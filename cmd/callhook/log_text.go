package main

import (
	"bytes"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
)

// textFormatter writes exactly the bytes of logrus.TextFormatter{
// FullTimestamp: true, DisableColors: true} (callhook's text log format),
// without what that formatter does per line on top of writing it: a copy
// of the entry's fields into a new map, their keys into two slices, the
// timestamp into a string. Every call logs two info lines (call started,
// call ended, with 4 and 10 fields), which was ~3% of the daemon's CPU at
// saturation. Any entry it does not write the same way for sure goes to
// logrus's own formatter: one with a caller, with a field logrus could not
// take (its logrus_error), with more than textFastFields fields, a field
// named as a fixed key (logrus renames those), or a value other than a
// string, bool or plain number (errors and Stringers among them: logrus
// recovers their panics). TestTextFormatterSameAsLogrus and
// FuzzTextFormatter compare the two.
type textFormatter struct {
	logrus logrus.Formatter // the fallback, logrus's TextFormatter
}

// textFastFields bounds the fields written on the fast path (they are
// sorted in an array on the stack).
const textFastFields = 16

func newTextFormatter() *textFormatter {
	return &textFormatter{logrus: &logrus.TextFormatter{FullTimestamp: true, DisableColors: true}}
}

// Format implements logrus.Formatter.
func (f *textFormatter) Format(e *logrus.Entry) ([]byte, error) {
	if e.Caller != nil || len(e.Data) > textFastFields || entryErr(e) != "" {
		return f.logrus.Format(e)
	}
	// The fields are read once, keys with their values, and sorted by key
	// (keys are unique): no lookup per key after the sort.
	var arr [textFastFields]textField
	fields := arr[:0]
	for k, v := range e.Data {
		switch k {
		case logrus.FieldKeyTime, logrus.FieldKeyMsg, logrus.FieldKeyLevel, logrus.FieldKeyLogrusError:
			return f.logrus.Format(e)
		}
		switch v.(type) {
		case string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr, float32, float64:
		default:
			return f.logrus.Format(e)
		}
		fields = append(fields, textField{k, v})
	}
	slices.SortFunc(fields, func(a, b textField) int { return strings.Compare(a.key, b.key) })
	b := e.Buffer
	if b == nil {
		b = new(bytes.Buffer)
	}
	var tmp [64]byte
	textKey(b, logrus.FieldKeyTime)
	textString(b, e.Time.AppendFormat(tmp[:0], time.RFC3339))
	textKey(b, logrus.FieldKeyLevel)
	textString(b, append(tmp[:0], e.Level.String()...))
	if e.Message != "" {
		textKey(b, logrus.FieldKeyMsg)
		textQuoted(b, e.Message)
	}
	for _, fd := range fields {
		textKey(b, fd.key)
		var num []byte
		switch v := fd.value.(type) {
		case string:
			textQuoted(b, v)
			continue
		case bool:
			// logrus checks a bool's text for quoting, as a string's;
			// "true" and "false" never need it.
			textString(b, strconv.AppendBool(tmp[:0], v))
			continue
		case int:
			num = strconv.AppendInt(tmp[:0], int64(v), 10)
		case int8:
			num = strconv.AppendInt(tmp[:0], int64(v), 10)
		case int16:
			num = strconv.AppendInt(tmp[:0], int64(v), 10)
		case int32:
			num = strconv.AppendInt(tmp[:0], int64(v), 10)
		case int64:
			num = strconv.AppendInt(tmp[:0], v, 10)
		case uint:
			num = strconv.AppendUint(tmp[:0], uint64(v), 10)
		case uint8:
			num = strconv.AppendUint(tmp[:0], uint64(v), 10)
		case uint16:
			num = strconv.AppendUint(tmp[:0], uint64(v), 10)
		case uint32:
			num = strconv.AppendUint(tmp[:0], uint64(v), 10)
		case uint64:
			num = strconv.AppendUint(tmp[:0], v, 10)
		case uintptr:
			num = strconv.AppendUint(tmp[:0], uint64(v), 10)
		case float32:
			num = strconv.AppendFloat(tmp[:0], float64(v), 'g', -1, 32)
		case float64:
			num = strconv.AppendFloat(tmp[:0], v, 'g', -1, 64)
		}
		b.Write(num) // numbers unquoted, as logrus writes them
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// textField is one field of an entry.
type textField struct {
	key   string
	value any
}

// entryErr is the entry's record of fields it refused (logrus writes it as
// logrus_error); logrus keeps it unexported. Should a logrus version rename
// the field, the lookup gives "<invalid Value>", never "", and every entry
// goes to logrus's formatter: slower, never different.
func entryErr(e *logrus.Entry) string {
	return reflect.ValueOf(e).Elem().FieldByName("err").String()
}

// textKey writes " key=" (no space before the first).
func textKey(b *bytes.Buffer, key string) {
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	b.WriteString(key)
	b.WriteByte('=')
}

// textQuoted writes s as logrus does: bare when every byte is safe, else
// Go-quoted ("" for an empty string).
func textQuoted(b *bytes.Buffer, s string) {
	for i := range len(s) {
		if !textSafe(s[i]) {
			textQuote(b, s)
			return
		}
	}
	b.WriteString(s)
}

// textString is textQuoted for bytes that are not a field's own (the
// time: an RFC 3339 time always has a colon, which is not safe).
func textString(b *bytes.Buffer, s []byte) {
	for _, c := range s {
		if !textSafe(c) {
			textQuote(b, string(s))
			return
		}
	}
	b.Write(s)
}

// textQuote writes strconv.Quote(s). Printable ASCII other than a quote
// or a backslash is written as it is, between quotes, by strconv too; only
// a string with anything else goes through strconv.
func textQuote(b *bytes.Buffer, s string) {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			var tmp [128]byte
			b.Write(strconv.AppendQuote(tmp[:0], s))
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}

// textSafe is logrus's isSafeByte: the bytes it writes unquoted.
func textSafe(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '/' || c == '@' || c == '^' || c == '+'
}
