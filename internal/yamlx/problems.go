package yamlx

import (
	"errors"
	"slices"
)

// Problems collects the problems of one file while a decoder reads it, so
// that all of them are reported at once, as `callhook check` needs, in
// line order. The zero value is empty and ready to use.
type Problems struct {
	list []problem
}

type problem struct {
	line int
	err  error
}

// Add records err, found at line (0 when the problem has none: it sorts
// first).
func (p *Problems) Add(line int, err error) {
	p.list = append(p.list, problem{line, err})
}

// Len is the number of problems recorded.
func (p *Problems) Len() int { return len(p.list) }

// Err returns every problem joined with errors.Join, in line order
// (problems on one line keep the order they were found in), or nil when
// there is none. errors.As and errors.Is see each problem.
func (p *Problems) Err() error {
	if len(p.list) == 0 {
		return nil
	}
	slices.SortStableFunc(p.list, func(a, b problem) int { return a.line - b.line })
	errs := make([]error, len(p.list))
	for i, e := range p.list {
		errs[i] = e.err
	}
	return errors.Join(errs...)
}
