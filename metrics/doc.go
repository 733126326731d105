// Package metrics is callhook's Prometheus instrumentation: one Metrics
// value, made by New, is the proxy's Observer, every event socket
// connection's FrameCounter and the esl.Server's Refused hook, and serves
// the whole registry (callhook series plus the Go runtime and process
// collectors) through Handler.
//
// Every label is low-cardinality by construction: app names come from the
// config, verbs, events, outcomes and reasons from callhook's own code, and
// values a peer could vary (a content type, an error, an HTTP status) are
// folded into fixed buckets. Call ids, URLs and numbers are never labels;
// /calls and the logs are where single calls are seen.
//
// The hot path is cheap: label children are resolved once per app, verb or
// event and cached, ESL frames are counted with two atomic adds (an
// esl.Counters) and turned into samples only when Prometheus scrapes.
//
// Series (all prefixed callhook_):
//
//	calls_active{app}                        gauge: calls in progress, by the app that took them
//	calls_total{app,outcome}                 counter: ended calls (hangup, transferred, failed: on_failure ran, the call was aborted, or its connection to FreeSWITCH failed; other)
//	call_duration_seconds{app}               histogram: from connect to the call's end
//	calls_refused_total{reason}              counter: acl, max_conns, not_async_full, no_app, limit, draining, duplicate_id, other
//	webhook_request_duration_seconds{app,event} histogram: one request, all attempts together
//	webhook_errors_total{app,class}          counter: connect, timeout, 4xx, 5xx, invalid_reply, other
//	webhook_retries_total{app}               counter: attempts beyond the first (flows' fetches included)
//	fallbacks_total{app,kind}                counter: fallback (fallback_url answered), on_failure
//	verbs_total{verb,result}                 counter: ok, timeout, invalid, hangup, error, other
//	verb_duration_seconds{verb}              histogram
//	esl_frames_total{direction,content_type} counter: received/sent event socket frames
//	esl_bytes_total{direction,content_type}  counter: their size on the wire
package metrics
