package proxy

import (
	"context"
	"strings"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/verb"
)

// prepareVerb runs before a verb's applications: the switch must have
// what the verb needs (verb.Needer, inventory.go), and a spec that needs
// the switch's answers first (verb.Preparer: a gather's spoken numbers)
// gets them. It returns the spec to run, or the verb's result when it
// cannot run (reason error, with a message saying why), or errCallGone.
func (s *session) prepareVerb(ctx context.Context, v verb.Verb) (verb.Spec, *verb.Result, error) {
	spec := v.Spec
	if n, ok := spec.(verb.Needer); ok {
		if needs := n.Needs(); len(needs) > 0 {
			miss, isMissing, err := s.p.inv.get(s.coreUUID).missing(ctx, s.conn, needs)
			switch {
			case err != nil && s.gone():
				return nil, nil, errCallGone
			case err != nil:
				// Not knowing is no reason to refuse: the verb runs as
				// before the check existed.
				s.log.WithError(err).Warn("cannot check the switch's modules")
			case isMissing:
				msg := verb.MissingError(miss)
				s.log.WithField("verb", v.Name).Warn(msg)
				return nil, verb.PrepareError(v, msg), nil
			}
		}
	}
	p, ok := spec.(verb.Preparer)
	if !ok {
		return spec, nil, nil
	}
	cmds := p.APIs()
	if len(cmds) == 0 {
		return spec, nil, nil
	}
	answers := make([]string, 0, len(cmds))
	for _, c := range cmds {
		f, err := s.conn.Send(ctx, esl.API(c))
		if err != nil {
			if s.gone() {
				return nil, nil, errCallGone
			}
			msg := v.Name + ": " + firstWord(c) + ": " + err.Error()
			s.log.WithField("verb", v.Name).Warn(msg)
			return nil, verb.PrepareError(v, msg), nil
		}
		answers = append(answers, string(f.Body))
	}
	prepared, err := p.Prepare(answers)
	if err != nil {
		s.log.WithError(err).WithField("verb", v.Name).Warn("verb cannot run")
		return nil, verb.PrepareError(v, err.Error()), nil
	}
	return prepared, nil, nil
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}
