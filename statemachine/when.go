package statemachine

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones must load on hosts without a zoneinfo database (containers, CI)
)

// condition is one entry of a state's when: list. Every part it has must
// hold (weekdays, time ranges, a variable's value); the first condition
// that holds picks the target.
type condition struct {
	label  string // for graphs: "mon-fri 09:00-17:00"
	target target

	days   *[7]bool // by time.Weekday; nil: any day
	ranges []timeRange
	loc    *time.Location // where days and ranges are read

	ref     *ref
	equals  *string
	matches *regexp.Regexp
}

// timeRange is [from, to) in minutes after midnight; from > to wraps past
// midnight (22:00-06:00).
type timeRange struct{ from, to int }

func (r timeRange) contains(m int) bool {
	if r.from < r.to {
		return m >= r.from && m < r.to
	}
	return m >= r.from || m < r.to
}

// holds evaluates the condition at now, reading variables through lookup.
func (c *condition) holds(now time.Time, lookup func(ref) string) bool {
	if c.days != nil || len(c.ranges) > 0 {
		local := now.In(c.loc)
		if c.days != nil && !c.days[local.Weekday()] {
			return false
		}
		if len(c.ranges) > 0 {
			m := local.Hour()*60 + local.Minute()
			in := false
			for _, r := range c.ranges {
				in = in || r.contains(m)
			}
			if !in {
				return false
			}
		}
	}
	if c.ref != nil {
		v := lookup(*c.ref)
		if c.equals != nil && v != *c.equals {
			return false
		}
		if c.matches != nil && !c.matches.MatchString(v) {
			return false
		}
	}
	return true
}

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// parseWeekdays adds "mon", "monday" or a range "mon-fri" (which may wrap:
// "fri-mon") to days.
func parseWeekdays(s string, days *[7]bool) error {
	lo, hi, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "-")
	from, ok := weekdayNames[strings.TrimSpace(lo)]
	if !ok {
		return fmt.Errorf("unknown weekday %q (want mon, tue, wed, thu, fri, sat, sun or a range mon-fri)", s)
	}
	to := from
	if isRange {
		if to, ok = weekdayNames[strings.TrimSpace(hi)]; !ok {
			return fmt.Errorf("unknown weekday %q (want mon, tue, wed, thu, fri, sat, sun or a range mon-fri)", s)
		}
	}
	for d := from; ; d = (d + 1) % 7 {
		days[d] = true
		if d == to {
			return nil
		}
	}
}

// parseTimeRange reads "09:00-17:00"; the end may be 24:00, and an end
// before the start wraps past midnight.
func parseTimeRange(s string) (timeRange, error) {
	lo, hi, ok := strings.Cut(s, "-")
	if !ok {
		return timeRange{}, fmt.Errorf("bad time range %q: want HH:MM-HH:MM", s)
	}
	from, err := parseClock(strings.TrimSpace(lo), false)
	if err != nil {
		return timeRange{}, fmt.Errorf("bad time range %q: %w", s, err)
	}
	to, err := parseClock(strings.TrimSpace(hi), true)
	if err != nil {
		return timeRange{}, fmt.Errorf("bad time range %q: %w", s, err)
	}
	if from == to {
		return timeRange{}, fmt.Errorf("bad time range %q: empty (leave time: out for all day)", s)
	}
	// 00:00-24:00 becomes {0, 0}, which contains every minute.
	return timeRange{from: from, to: to % (24 * 60)}, nil
}

// parseClock reads HH:MM as minutes after midnight; 24:00 only as an end.
func parseClock(s string, end bool) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(m) != 2 || len(h) < 1 || len(h) > 2 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && (mm != 0 || !end)) {
		return 0, fmt.Errorf("%q is not a time of day", s)
	}
	return hh*60 + mm, nil
}
