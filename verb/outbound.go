package verb

// The rules a placed call's values go through (package outbound): the
// same ones an app's verbs meet, so that the admin API cannot make
// FreeSWITCH do what an app's reply could not.

// CheckDialTarget checks one dial target (endpoint/destination, with an
// optional [...] block) as a bridge verb's target is checked: an endpoint
// the policy allows, no loopback/app=, nothing that would split it into
// several legs or set variables.
func (p *Policy) CheckDialTarget(t string) error { return p.checkTarget(t) }

// CheckSetVar checks the name of a variable set on a channel, as the set
// verb's: refused when FreeSWITCH runs its value (fsvars.go), unless the
// policy's allow_vars names it.
func (p *Policy) CheckSetVar(name string) error { return p.checkVar(name) }
