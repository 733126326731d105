package metrics

import (
	"github.com/callhook/callhook/esl"
	"github.com/prometheus/client_golang/prometheus"
)

// frameCollector turns an esl.Counters into esl_frames_total and
// esl_bytes_total at scrape time, so counting a frame stays two atomic adds
// on the connection's reader goroutine.
type frameCollector struct {
	counters *esl.Counters
	frames   *prometheus.Desc
	bytes    *prometheus.Desc
}

func newFrameCollector(c *esl.Counters) *frameCollector {
	labels := []string{"direction", "content_type"}
	return &frameCollector{
		counters: c,
		frames: prometheus.NewDesc(namespace+"_esl_frames_total",
			"Event socket frames, by direction (received from or sent to FreeSWITCH) and content type (command for what callhook sends).",
			labels, nil),
		bytes: prometheus.NewDesc(namespace+"_esl_bytes_total",
			"Event socket bytes on the wire, by direction and content type.",
			labels, nil),
	}
}

// Describe implements prometheus.Collector.
func (fc *frameCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- fc.frames
	ch <- fc.bytes
}

// Collect implements prometheus.Collector. Content types are esl.Counters'
// fixed buckets, so the label set is bounded whatever the peer sends.
func (fc *frameCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range fc.counters.Snapshot() {
		dir := s.Dir.String()
		ch <- prometheus.MustNewConstMetric(fc.frames, prometheus.CounterValue, float64(s.Frames), dir, s.ContentType)
		ch <- prometheus.MustNewConstMetric(fc.bytes, prometheus.CounterValue, float64(s.Bytes), dir, s.ContentType)
	}
}
