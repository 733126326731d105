package esl

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
)

// ParseCommand parses one command packet as FreeSWITCH's read_packet does
// (src/mod/event_handlers/mod_event_socket/mod_event_socket.c): line 1 is the command, header lines split at the
// first ':', lines without ':' ignored, empty values dropped, a body read by
// Content-Length. Liverpie's msg replies go through it.
//
// The closing blank line may be missing. Anything but CR/LF after the packet
// is an error (FreeSWITCH would run it as a second command), as is a body
// shorter than its Content-Length. Errors are *ProtocolError.
func ParseCommand(text []byte) (Command, error) {
	r := &Reader{
		br:  bufSource{bufio.NewReaderSize(bytes.NewReader(text), len(text))},
		lim: Limits{}.withDefaults(),
	}
	cmd, n, err := r.readCommand(true)
	switch {
	case err == io.EOF:
		return Command{}, &ProtocolError{Msg: "empty command"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Command{}, &ProtocolError{Msg: "command body shorter than its Content-Length"}
	case err != nil:
		return Command{}, err
	}
	if rest := bytes.Trim(text[n:], "\r\n"); len(rest) > 0 {
		return Command{}, protocolErrorf("trailing data after the command packet: %q", clip(string(rest)))
	}
	return cmd, nil
}

// readCommand reads one command packet with read_packet's rules. With
// eofEndsBlock (ParseCommand) the end of the input also ends the header
// block; on a socket it is io.ErrUnexpectedEOF.
func (r *Reader) readCommand(eofEndsBlock bool) (Command, int, error) {
	size, err := r.skipLineEnds()
	if err != nil {
		return Command{}, size, err
	}
	n, err := r.readCommandBlock(eofEndsBlock)
	size += n
	if err != nil {
		return Command{}, size, err
	}
	block := string(r.block)
	cmd := Command{Line: block[:lineEnd(block)]}
	for _, line := range commandLines(block) {
		colon := strings.IndexByte(line, ':')
		if colon < 0 {
			continue // read_packet ignores a line without ':'
		}
		name, value := line[:colon], strings.TrimLeft(line[colon+1:], " ")
		if value == "" {
			continue // switch_event_add_header_string drops empty values
		}
		cmd.Headers = append(cmd.Headers, Header{Name: name, Value: value})
		if !isContentLength(name) {
			continue
		}
		clen := atoi(value)
		if clen < 0 || clen > int64(r.lim.MaxBodyBytes) {
			return Command{}, size, protocolErrorf("command Content-Length %s out of range 0..%d", clip(value), r.lim.MaxBodyBytes)
		}
		if clen == 0 {
			continue
		}
		// read_packet reads the body as soon as it parses the header, so
		// every Content-Length header consumes a body; the last one is kept.
		body := make([]byte, clen)
		n, err := io.ReadFull(r.br, body)
		size += n
		if err != nil {
			return Command{}, size, unexpected(err)
		}
		// The body is stored with "%s": it ends at the first NUL.
		if i := bytes.IndexByte(body, 0); i >= 0 {
			body = body[:i]
		}
		cmd.Body = nil
		if len(body) > 0 {
			cmd.Body = body
		}
	}
	return cmd, size, nil
}

// skipLineEnds discards the CR and LF bytes read_packet drops before a
// packet. It returns io.EOF when the stream ends before any other byte.
func (r *Reader) skipLineEnds() (int, error) {
	n := 0
	for {
		c, err := r.br.ReadByte()
		if err != nil {
			return n, err
		}
		if c != '\r' && c != '\n' {
			return n, r.br.UnreadByte()
		}
		n++
	}
}

// readCommandBlock reads a command header block, exactly as sent, into
// r.block. As in read_packet, the block ends at the second LF with nothing
// but CRs between the two (so "\n\n", "\r\n\r\n" and "\n\r\n" all end it).
func (r *Reader) readCommandBlock(eofEndsBlock bool) (int, error) {
	r.resetBlock()
	first := true
	for {
		start := len(r.block)
		for {
			chunk, err := r.br.ReadSlice('\n')
			if len(r.block)+len(chunk) > r.lim.MaxHeaderBytes {
				return len(r.block) + len(chunk), protocolErrorf("command header block exceeds %d bytes", r.lim.MaxHeaderBytes)
			}
			r.block = append(r.block, chunk...)
			if err == nil {
				break
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF && eofEndsBlock {
				return len(r.block), nil
			}
			return len(r.block), unexpected(err)
		}
		if !first && onlyCR(r.block[start:len(r.block)-1]) {
			return len(r.block), nil
		}
		first = false
	}
}

func onlyCR(b []byte) bool {
	for _, c := range b {
		if c != '\r' {
			return false
		}
	}
	return true
}

// commandLines returns the header lines of a command block (line 1, the
// command, excluded) split the way read_packet splits them: each line runs
// to the next CR if the rest of the block has one, else to the next LF, and
// the run of CR/LF after it is skipped. So in a block that mixes LF and CRLF
// endings, LF-only lines before a CR are swallowed, exactly as FreeSWITCH
// does. Each returned line is cut at its first CR or LF (strip_cr).
func commandLines(block string) []string {
	var lines []string
	cur := 0
	for first := true; ; first = false {
		rest := block[cur:]
		next := strings.IndexByte(rest, '\r')
		if next < 0 {
			next = strings.IndexByte(rest, '\n')
		}
		if !first {
			if line := rest[:lineEnd(rest)]; line != "" {
				lines = append(lines, line)
			}
		}
		if next < 0 {
			break
		}
		cur += next
		for cur < len(block) && (block[cur] == '\r' || block[cur] == '\n') {
			cur++
		}
	}
	return lines
}

// lineEnd returns the index of the first CR or LF in s, or len(s).
func lineEnd(s string) int {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return i
	}
	return len(s)
}

// atoi converts s as C's atoi does (leading white space, an optional sign,
// then digits up to the first other byte; no digits is 0), saturating far
// beyond any Content-Length limit instead of overflowing.
func atoi(s string) int64 {
	i := 0
	for i < len(s) && (s[i] == ' ' || '\t' <= s[i] && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var n int64
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		if n < 1<<40 {
			n = n*10 + int64(s[i]-'0')
		}
	}
	if neg {
		return -n
	}
	return n
}
