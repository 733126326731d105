package esl

import (
	"strconv"
	"strings"
	"sync/atomic"
)

// String returns "received" or "sent", the words metrics use as labels.
func (d Direction) String() string {
	switch d {
	case Received:
		return "received"
	case Sent:
		return "sent"
	}
	return "Direction(" + strconv.Itoa(int(d)) + ")"
}

// CounterSample is one line of a Counters snapshot: how many frames of one
// content type went one way, and how many bytes they took on the wire.
type CounterSample struct {
	Dir         Direction
	ContentType string
	Frames      uint64
	Bytes       uint64
}

// Content-type buckets of Counters. They are a fixed set so that a peer
// cannot grow the counters (or a metrics label) without bound by inventing
// content types: every other type is counted under CounterOther.
const (
	// CounterCommand counts the commands a Conn sends, which it reports
	// under this name since commands carry no Content-Type.
	CounterCommand = "command"
	// CounterNone counts frames reported with an empty content type.
	CounterNone = "none"
	// CounterOther counts every other content type.
	CounterOther = "other"
)

// counterTypes are the buckets in snapshot order: every content type
// FreeSWITCH writes, our commands, no content type, and the rest.
var counterTypes = [...]string{
	TypeCommandReply,
	TypeAPIResponse,
	TypeEventPlain,
	TypeEventJSON,
	TypeEventXML,
	TypeDisconnectNotice,
	TypeAuthRequest,
	TypeRudeRejection,
	TypeLogData,
	CounterCommand,
	CounterNone,
	CounterOther,
}

const (
	bucketNone  = len(counterTypes) - 2
	bucketOther = len(counterTypes) - 1
)

// counter is one bucket: frames and bytes are updated separately, so a
// snapshot taken during CountFrame may see one ahead of the other by a frame.
type counter struct {
	frames atomic.Uint64
	bytes  atomic.Uint64
}

// Counters counts frames and bytes per direction and content type. It
// implements FrameCounter for ConnOptions.Counter and can be shared by every
// connection of a server. The zero value is ready to use; it is safe for
// concurrent use, and CountFrame never blocks or allocates.
type Counters struct {
	c [2][len(counterTypes)]counter
}

// CountFrame adds one frame of the given size. contentType is matched
// exactly first and then case-insensitively; "" counts as CounterNone and any
// other unknown type as CounterOther. Negative sizes count as 0, and a
// direction other than Received or Sent is ignored.
func (c *Counters) CountFrame(dir Direction, contentType string, bytes int) {
	if dir != Received && dir != Sent {
		return
	}
	b := &c.c[dir][counterBucket(contentType)]
	b.frames.Add(1)
	if bytes > 0 {
		b.bytes.Add(uint64(bytes))
	}
}

// counterBucket returns the index of contentType's bucket.
func counterBucket(contentType string) int {
	if contentType == "" {
		return bucketNone
	}
	for i, t := range counterTypes[:bucketNone] {
		if t == contentType {
			return i
		}
	}
	for i, t := range counterTypes[:bucketNone] {
		if strings.EqualFold(t, contentType) {
			return i
		}
	}
	return bucketOther
}

// Snapshot returns the buckets that have counted at least one frame:
// received before sent, each in a fixed content-type order.
func (c *Counters) Snapshot() []CounterSample {
	var out []CounterSample
	for _, dir := range [...]Direction{Received, Sent} {
		for i, t := range counterTypes {
			b := &c.c[dir][i]
			frames := b.frames.Load()
			if frames == 0 {
				continue
			}
			out = append(out, CounterSample{Dir: dir, ContentType: t, Frames: frames, Bytes: b.bytes.Load()})
		}
	}
	return out
}
