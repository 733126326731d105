// Package suggest finds the name a user most likely meant when they wrote
// one that does not exist ("did you mean ...?"): a state, a verb, an option
// or a config key. It is the one place that decides what counts as a
// likely typo, so every error message of callhook suggests alike.
package suggest

import "unicode/utf8"

// Closest returns the candidate nearest to word by edit distance
// (Levenshtein; a swap of two neighbouring letters counts as one edit), or
// "" when none is near enough to be a plausible typo: none for names of one
// or two letters (any short name is one edit from another), one up to four
// letters, two up to eight, three beyond. Ties go to
// the candidate listed first. Comparison is case-sensitive except that a
// candidate differing from word in case only is always a match.
func Closest(word string, candidates []string) string {
	if word == "" {
		return ""
	}
	limit := 1
	n := utf8.RuneCountInString(word)
	switch {
	case n < 3:
		limit = 0
	case n > 8:
		limit = 3
	case n > 4:
		limit = 2
	}
	best, bestD := "", limit+1
	for _, c := range candidates {
		if c == word {
			continue
		}
		if diff := n - utf8.RuneCountInString(c); (diff > limit || -diff > limit) && !foldEqual(word, c) {
			// The distance is at least the difference in length: no need
			// to compute it (a 1 MiB unknown name from a reply costs a
			// rune count, not a 1 MiB × name table).
			continue
		}
		d := distance(word, c)
		if foldEqual(word, c) {
			d = 0
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// Hint is Closest as the tail of an error message: ` (did you mean
// "best"?)`, or "" when nothing is near.
func Hint(word string, candidates []string) string {
	if best := Closest(word, candidates); best != "" {
		return ` (did you mean "` + best + `"?)`
	}
	return ""
}

// distance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of adjacent
// runes each cost one.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows suffice: the current one, the previous one and the one
	// before it (for transpositions).
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// foldEqual reports whether a and b differ in ASCII case only.
func foldEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
