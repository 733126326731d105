package twilioapi

import (
	"strconv"
	"testing"
	"time"
)

// Failures from ever new addresses never grow the throttle beyond
// maxThrottled clients; the newest is the one kept.
func TestThrottleBounded(t *testing.T) {
	var th authThrottle
	now := time.Unix(1_700_000_000, 0)
	var last throttleKey
	for i := range maxThrottled + 5 {
		last = clientKey("10."+strconv.Itoa(i>>16&255)+"."+strconv.Itoa(i>>8&255)+"."+strconv.Itoa(i&255)+":1", "AC")
		th.failed(last, time.Minute, now.Add(time.Duration(i)*time.Millisecond))
	}
	if n := len(th.clients); n > maxThrottled {
		t.Errorf("%d clients remembered, want at most %d", n, maxThrottled)
	}
	if th.clients[last] == nil {
		t.Error("the newest client was forgotten")
	}
}
