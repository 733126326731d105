package config

// ${VAR} expansion, done on the node tree before anything is decoded.

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// expand replaces environment references in every scalar value under n (not
// in keys), in place, before anything is decoded. It works on the node tree,
// never on the file's text, so no value can change the YAML's structure. An
// alias is skipped: the node it names is expanded where it is written.
func (d *decoder) expand(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			d.expand(n.Content[i+1], join(path, n.Content[i].Value))
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			d.expand(c, index(path, i))
		}
	case yaml.ScalarNode:
		d.expandScalar(n, path)
	}
}

// expandScalar expands one scalar. An unquoted, untagged value is typed
// again from its new text, as if it had been written there (port: ${PORT}
// is an integer); a quoted one stays a string.
func (d *decoder) expandScalar(n *yaml.Node, path string) {
	if !strings.Contains(n.Value, "$") {
		return
	}
	v, err := expandEnv(n.Value, d.lookupEnv)
	if err != nil {
		d.errorf(n, path, "%v", err)
		d.reported[n] = true
		return
	}
	if v == n.Value {
		return
	}
	n.Value = v
	const fixedType = yaml.TaggedStyle | yaml.SingleQuotedStyle | yaml.DoubleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle
	if n.Style&fixedType == 0 {
		n.Tag = (&yaml.Node{Kind: yaml.ScalarNode, Value: v}).ShortTag()
	}
}

// envNamePattern matches an environment variable name.
var envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expandEnv expands ${VAR} (an error when VAR is unset) and ${VAR:-default}
// (default when VAR is unset or empty) in s; $$ is a literal $, and a $
// before anything else stays as it is, so regexps such as ^5\d{3}$ need no
// escaping.
func expandEnv(s string, lookupEnv func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "$$"):
			b.WriteByte('$')
			s = s[2:]
		case strings.HasPrefix(s, "${"):
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return "", errors.New("unterminated ${ (write $$ for a literal $)")
			}
			v, err := envValue(s[2:end], lookupEnv)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			s = s[end+1:]
		default:
			b.WriteByte('$')
			s = s[1:]
		}
	}
}

// envValue resolves the inside of one ${...}.
func envValue(ref string, lookupEnv func(string) (string, bool)) (string, error) {
	name, def, hasDef := strings.Cut(ref, ":-")
	if !envNamePattern.MatchString(name) {
		return "", fmt.Errorf("invalid environment variable name %q", name)
	}
	v, ok := lookupEnv(name)
	switch {
	case hasDef && v == "":
		return def, nil
	case !ok:
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	return v, nil
}
