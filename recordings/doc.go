// Package recordings delivers the recordings of calls to their apps
// (README "Recordings"): FreeSWITCH uploads each finished file to
// callhook (mod_httapi records to an http(s):// target into a temporary
// file and uploads it when the file closes,
// src/mod/applications/mod_httapi/mod_httapi.c http_file_file_close),
// callhook keeps it in its own folder for a while and serves it to the
// app at a URL behind an unguessable token that expires; or, when
// callhook shares the switch's host or recordings folder, it reads the
// file where FreeSWITCH wrote it.
//
// A Store is proxy.Recordings: the session plans each recording (Plan:
// its target and its URL), runs the verb, then collects it (Collect:
// the upload arrived, or the local file is readable). The Store is also
// the http.Handler of both ends: the switch's upload (PUT, or POST
// multipart with mod_httapi's field recorded_file) and the app's GET.
// No part of a request path ever reaches the file system: a request names
// a recording's id and secret; the id finds an entry in memory, the secret
// is compared in constant time with the entry's, and the file served or
// written is the one the entry names, in the Store's own folder.
package recordings
