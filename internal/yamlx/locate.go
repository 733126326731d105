// Package yamlx is the line-aware YAML toolkit of the config, the verbs
// and the flows: they decode yaml.v3 node trees rather than tagged
// structs, so that every problem names its line, and they share here what
// that takes:
//
//   - Locate and Split: where a yaml.v3 syntax error really is (locate.go);
//   - Deref and IsNull: aliases and nulls (node.go);
//   - Problems: a file's problems collected while it is decoded and
//     reported at once, in line order (problems.go).
//
// yaml.v3 reports a syntax error at the line where the construct being
// parsed began (its "context mark"), not where parsing failed: an
// unclosed "[" on line 2 is reported on line 1, a badly indented key on
// line 4 is reported on the line of its parent, and some errors carry no
// line at all. It reports no column. Locate finds the first line, and the
// first column on it, at which a prefix of the document fails to parse
// with the same error, which is where a reader should look.
package yamlx

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxScanBytes bounds the documents Locate scans: it parses up to one
// prefix per line and per byte of the failing line, so the cost grows
// with the square of the size. Config and flow files are far smaller.
const maxScanBytes = 256 << 10

// lineMsg splits yaml.v3's "yaml: line N: message".
var lineMsg = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Pos is a syntax error's place and message. Line and Column are 1-based;
// Column is 0 when unknown, Line too.
type Pos struct {
	Line, Column int
	Msg          string
}

// String is "line:column: message", "line: message" or "message".
func (p Pos) String() string {
	switch {
	case p.Line > 0 && p.Column > 0:
		return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column) + ": " + p.Msg
	case p.Line > 0:
		return strconv.Itoa(p.Line) + ": " + p.Msg
	}
	return p.Msg
}

// Split parses a yaml.v3 syntax error's text into its line and message,
// as yaml.v3 reported them.
func Split(err error) Pos { return SplitText(err.Error()) }

// SplitText is Split for one message of an error's text, as a
// yaml.TypeError holds them ("yaml: line N: message" or "yaml: message").
func SplitText(msg string) Pos {
	if m := lineMsg.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Pos{Line: line, Msg: m[2]}
	}
	return Pos{Msg: strings.TrimPrefix(msg, "yaml: ")}
}

// Locate returns where the syntax error err (from parsing data as YAML)
// is: the first line whose prefix of the document fails to parse with the
// same message, and the first column on that line at which it does. It
// falls back to what yaml.v3 said when the scan finds nothing or data is
// too large to scan.
func Locate(data []byte, err error) Pos {
	want := Split(err)
	if len(data) > maxScanBytes {
		return want
	}
	fails := func(prefix []byte) bool {
		perr := parse(prefix)
		return perr != nil && Split(perr).Msg == want.Msg
	}
	end := 0 // the end of the prefix of whole lines that parses
	line := 1
	for end < len(data) {
		next := bytes.IndexByte(data[end:], '\n')
		lineEnd := len(data)
		if next >= 0 {
			lineEnd = end + next + 1
		}
		if fails(data[:lineEnd]) {
			// The error is on this line: find its first column.
			text := data[end:lineEnd]
			for col := 1; col <= len(bytes.TrimRight(text, "\r\n")); col++ {
				if fails(data[:end+col]) {
					return Pos{Line: line, Column: col, Msg: want.Msg}
				}
			}
			return Pos{Line: line, Msg: want.Msg}
		}
		end = lineEnd
		line++
	}
	return want
}

// parse parses every document of data, as the callers' decoders do.
func parse(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
